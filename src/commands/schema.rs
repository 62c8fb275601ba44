//! `tcosim schema scenario|output`: the JSON Schema of the scenario file or of the JSON output
//! of `run`, derived from the types that read and write them.

use crate::cli::{SchemaArgs, SchemaKind};
use crate::commands::shared::emit;
use crate::{Failure, output};
use tcosim::report::json_schema;

pub fn schema(args: SchemaArgs) -> Result<(), Failure> {
    let out = args.output.as_deref();
    if let Some(path) = out {
        output::check(&[("--output", path)])?;
    }
    let schema = match args.kind {
        SchemaKind::Scenario => json_schema::scenario(),
        SchemaKind::Output => json_schema::output(),
    };
    emit(out, &json_schema::render(&schema), None)
}
