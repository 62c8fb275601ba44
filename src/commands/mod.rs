//! One file per subcommand that has outgrown `main.rs`.

pub mod catalog;
pub mod diff;
pub mod help;
pub mod init;
pub mod replay;
