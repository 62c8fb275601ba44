//! Ctrl-C (SIGINT) and SIGTERM: the first one asks the run to stop, the second ends the
//! process at once.
//!
//! The handlers only set flags. Long work in the library checks [`flag`] (the Monte Carlo engine
//! before each chunk, a sweep before each grid point, the report writer while it waits and just
//! before it swaps folders), and the commands check [`check`] before their first irrevocable
//! write, so an interrupted run writes nothing, removes its temporary files and folders, and
//! exits with 128 + the signal's number (130 for SIGINT, 143 for SIGTERM). A second signal
//! while the run is stopping takes the signal's default action (the process ends at once; a
//! staging folder it leaves is removed by the next report written beside it).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

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

/// Installs the handlers; where that fails the signals keep their default action.
pub fn install() {
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // The default action must be registered before the flag is set, so that it applies
        // from the second signal on.
        let _ = signal_hook::flag::register_conditional_default(signal, &STOP);
        let _ = signal_hook::flag::register_usize(signal, &SIGNAL, signal as usize);
        let _ = signal_hook::flag::register(signal, &STOP);
    }
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
