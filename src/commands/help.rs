//! `tcosim completions SHELL` and `tcosim man`: generated from the command-line definition, so
//! that they name every command and flag as `--help` does.

use crate::Failure;
use crate::cli::Cli;
use crate::commands::shared::emit;
use clap::CommandFactory;
use tcosim::error::InputError;

/// The completion script for `shell`, on stdout.
pub fn completions(shell: clap_complete::Shell) -> Result<(), Failure> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "tcosim", &mut script);
    emit(None, &text(script)?, None)
}

/// The manual page of tcosim (roff), with a section for each command, on stdout.
pub fn man() -> Result<(), Failure> {
    let command = Cli::command();
    let mut page = Vec::new();
    let render = |page: &mut Vec<u8>, cmd: clap::Command| clap_mangen::Man::new(cmd).render(page);
    render(&mut page, command.clone()).map_err(write_failed)?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("tcosim-{}", sub.get_name());
        let sub = sub.clone().name(name.clone()).bin_name(name);
        render(&mut page, sub).map_err(write_failed)?;
    }
    emit(None, &text(page)?, None)
}

fn text(bytes: Vec<u8>) -> Result<String, Failure> {
    String::from_utf8(bytes).map_err(|e| {
        Failure::Input(
            InputError::new("tcosim", "generated text is not UTF-8").found(e.to_string()),
        )
    })
}

fn write_failed(e: std::io::Error) -> Failure {
    Failure::Input(
        InputError::new("tcosim", "cannot generate the manual page").found(e.to_string()),
    )
}
