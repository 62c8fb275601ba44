//! Ctrl-C (SIGINT) and SIGTERM: the first one asks the run to stop, the second ends the
//! process at once.
//!
//! The handlers only set flags. Long work in the library checks [`flag`] (the Monte Carlo engine
//! before each chunk, a sweep before each grid point, the report writer while it waits and just
//! before it swaps folders), and the commands check [`check`] before their first irrevocable
//! write, so an interrupted run writes nothing, removes its temporary files and folders, and
//! exits with 128 + the signal's number (130 for SIGINT, 143 for SIGTERM). Work that does not
//! check the flag (the deterministic run of a very large scenario) is ended by a watchdog one
//! second after the signal, the same way, unless outputs are being written ([`Writing`]): a
//! writer stages its files and checks the flag itself, and the watchdog waits for it. A second
//! signal while the run is stopping takes the signal's default action (the process ends at
//! once; a staging folder it leaves is removed by the next report written beside it).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// How long the run may take to stop on its own after a first signal before the watchdog ends
/// it.
const GRACE: Duration = Duration::from_secs(1);

/// How many outputs are being written now; the watchdog ends the process only at 0, holding
/// the lock, so that no writer starts meanwhile.
static WRITERS: Mutex<usize> = Mutex::new(0);

/// Outputs being written while this lives: a signal then leaves the stop to the writer.
pub struct Writing(());

impl Writing {
    pub fn start() -> Writing {
        *WRITERS.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        Writing(())
    }
}

impl Drop for Writing {
    fn drop(&mut self) {
        let mut writers = WRITERS.lock().unwrap_or_else(|e| e.into_inner());
        *writers = writers.saturating_sub(1);
    }
}

/// Set by the first SIGINT or SIGTERM.
static STOP: AtomicBool = AtomicBool::new(false);
/// The number of the last signal that set [`STOP`].
static SIGNAL: AtomicUsize = AtomicUsize::new(0);

/// The run was interrupted by a signal before anything was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted {
    signal: i32,
}

impl Interrupted {
    /// 128 + the signal's number, as shells report a process ended by a signal.
    pub fn exit_code(self) -> u8 {
        u8::try_from(128 + self.signal).unwrap_or(u8::MAX)
    }

    /// The one line printed on stderr.
    pub fn message(self) -> String {
        let name = match self.signal {
            signal_hook::consts::SIGINT => "SIGINT".to_string(),
            signal_hook::consts::SIGTERM => "SIGTERM".to_string(),
            n => format!("signal {n}"),
        };
        format!("interrupted by {name}, nothing was written")
    }
}

/// Installs the handlers; where that fails the signals keep their default action. `stop` ends
/// the process for the watchdog (it prints the one line and exits with the interruption's code).
pub fn install(stop: fn(Interrupted) -> !) {
    let signals = [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM];
    for signal in signals {
        // The default action must be registered before the flag is set, so that it applies
        // from the second signal on.
        let _ = signal_hook::flag::register_conditional_default(signal, &STOP);
        let _ = signal_hook::flag::register_usize(signal, &SIGNAL, signal as usize);
        let _ = signal_hook::flag::register(signal, &STOP);
    }
    let Ok(mut arrived) = signal_hook::iterator::Signals::new(signals) else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name("watchdog".into())
        .spawn(move || {
            if arrived.forever().next().is_none() {
                return;
            }
            std::thread::sleep(GRACE);
            loop {
                let writers = WRITERS.lock().unwrap_or_else(|e| e.into_inner());
                if *writers == 0 {
                    stop(interrupted());
                }
                drop(writers);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
}

/// The flag the library's long work checks.
pub fn flag() -> &'static AtomicBool {
    &STOP
}

/// The interruption, once a signal has arrived.
pub fn interrupted() -> Interrupted {
    let signal = i32::try_from(SIGNAL.load(Ordering::SeqCst)).unwrap_or(0);
    Interrupted {
        signal: if signal == 0 {
            signal_hook::consts::SIGINT
        } else {
            signal
        },
    }
}

/// `Err` once a signal has asked the run to stop.
pub fn check() -> Result<(), Interrupted> {
    if STOP.load(Ordering::SeqCst) {
        Err(interrupted())
    } else {
        Ok(())
    }
}
