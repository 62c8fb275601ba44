//! One file per subcommand: its argument handling and output; `shared` holds what they share.

pub mod catalog;
pub mod diff;
pub mod help;
pub mod init;
pub mod replay;
pub mod report;
pub mod run;
pub mod schema;
pub mod sensitivity;
pub mod shared;
pub mod sweep;
pub mod validate;
