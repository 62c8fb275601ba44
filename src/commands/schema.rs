//! `tcosim schema scenario|output`: the JSON Schema of the scenario file or of the JSON output
//! of `run`, derived from the types that read and write them.

use crate::Failure;
use crate::cli::{SchemaArgs, SchemaKind};
use crate::commands::shared::{check_outputs, emit};
use tcosim::report::json_schema;

pub fn schema(args: SchemaArgs) -> Result<(), Failure> {
    let out = crate::output::file(args.output.as_deref());
    check_outputs(out, None, &[])?;
    let schema = match args.kind {
        SchemaKind::Scenario => json_schema::scenario(),
        SchemaKind::Output => json_schema::output(),
    };
    emit(out, &json_schema::render(&schema), None)
}
