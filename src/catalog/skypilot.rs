//! `tcosim catalog import skypilot`: SkyPilot catalog CSVs (`catalogs/vN/<cloud>/vms.csv` of
//! github.com/skypilot-org/skypilot-catalog) as rows of `cloud-offers.csv`.
//!
//! The clouds' files differ in column order and in which columns they have (AWS has `Arch`,
//! Azure has no `AvailabilityZone`), so columns are found by header name. `AcceleratorCount` is
//! a float (`8.0`; Azure has fractional GPUs such as `0.5`), `SpotPrice` may be empty, and
//! `GpuInfo` is a Python dict literal (`{'Gpus': [{'Name': 'A100', ..., 'MemoryInfo':
//! {'SizeInMiB': 40960}}], ...}`) of which only the memory size is read, to tell GPU variants
//! apart. Google bills host and GPUs separately: its file has host rows (an instance type, no
//! accelerator) and GPU rows (an accelerator, no instance type), which are added up per zone
//! for the machine types that come with fixed GPUs ([`gcp_host`]).

use super::CloudOffer;
use super::check::median;
use super::validate::{MAX_ACCELERATORS, MIN_ON_DEMAND, MIN_PRICE, MONEY, accepted, within};
use crate::error::InputError;
use std::collections::BTreeMap;

/// What the imported rows are labelled with.
pub struct Settings<'a> {
    /// tcosim provider id, e.g. `aws`.
    pub provider: &'a str,
    /// The file's name, for the `source` column.
    pub file_name: &'a str,
    /// The date of the prices.
    pub as_of: &'a str,
    /// Whether `as_of` is the prices' date (given by the user) rather than the import's.
    pub dated: bool,
}

/// The offers read, and what was left out with the reason and the number of rows.
pub struct Import {
    pub offers: Vec<CloudOffer>,
    /// What was left out, a line per reason with its number of rows.
    pub skipped: Vec<String>,
    /// Rows left out in all.
    pub skipped_rows: usize,
    /// Counts taken from the instance type rather than the file, a line per instance type.
    pub corrected: Vec<String>,
}

/// tcosim accelerator id of a SkyPilot accelerator name; `memory_mib` (from `GpuInfo`) tells
/// the 80 GB A100 and the 32 GB V100 from their smaller siblings where the name does not.
/// PCIe and SXM boards share SkyPilot names: the SXM part is assumed, as clouds' 8-GPU
/// instances use it. Names not listed are reported, not guessed.
pub fn accelerator_id(name: &str, memory_mib: Option<f64>) -> Option<&'static str> {
    let big = |mib: f64| memory_mib.is_some_and(|m| m >= mib);
    Some(match name.to_ascii_uppercase().as_str() {
        "A100" if big(70_000.0) => "a100-80gb-sxm",
        "A100" => "a100-40gb-sxm",
        "A100-80GB" => "a100-80gb-sxm",
        "H100" | "H100-MEGA" => "h100-sxm",
        "H100-NVL" => "h100-nvl",
        "H200" => "h200-sxm",
        "B200" => "b200",
        "GB200" => "gb200",
        "L4" => "l4",
        "L40S" => "l40s",
        "A10G" => "a10g",
        "A10" => "a10",
        "T4" => "t4",
        "V100" if big(30_000.0) => "v100-sxm2-32gb",
        "V100" => "v100-sxm2",
        "V100-32GB" => "v100-sxm2-32gb",
        "MI300X" => "mi300x",
        "MI325X" => "mi325x",
        "GAUDI2" | "HL-205" => "gaudi2",
        "GAUDI3" => "gaudi3",
        _ => return None,
    })
}

/// Google's machine type that comes with `count` GPUs `name` (its GPU rows carry no machine
/// type). GPUs that attach to a general-purpose N1 host of the user's choosing (T4, V100,
/// P100, P4) have none and are not imported.
pub fn gcp_host(name: &str, count: u32) -> Option<String> {
    let family = match name.to_ascii_uppercase().as_str() {
        "A100" if count == 16 => return Some("a2-megagpu-16g".to_string()),
        "A100" => "a2-highgpu",
        "A100-80GB" => "a2-ultragpu",
        "H100" => "a3-highgpu",
        "H100-MEGA" => "a3-megagpu",
        "H200" => "a3-ultragpu",
        "B200" => "a4-highgpu",
        _ => return None,
    };
    Some(format!("{family}-{count}g"))
}

/// The number after `'SizeInMiB':` in a `GpuInfo` dict literal.
fn memory_mib(gpu_info: &str) -> Option<f64> {
    let rest = &gpu_info[gpu_info.find("'SizeInMiB'")? + "'SizeInMiB'".len()..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// One zone's prices of one offer [USD per instance-hour].
#[derive(Clone, Copy, PartialEq)]
struct Zone {
    on_demand: f64,
    spot: Option<f64>,
}

impl Zone {
    /// `on-demand 10, spot 5` (`no spot` without one), for messages.
    fn describe(&self) -> String {
        use crate::error::written;
        format!(
            "on-demand {}, {}",
            written(self.on_demand),
            self.spot
                .map_or("no spot".to_string(), |s| format!("spot {}", written(s)))
        )
    }
}

/// One row of an offer: its zone, line and prices (for a Google GPU row, with its host's).
struct Priced {
    zone: String,
    line: usize,
    prices: Zone,
}

/// The prices of one instance type in one region, zone by zone.
struct Group {
    accelerator: &'static str,
    /// The file's accelerator name of the first row, for messages.
    name: String,
    count: u32,
    /// The line of the first row, which set the accelerator and the count.
    first_line: usize,
    /// For a Google offer put together from a host and GPU rows, `host + Nx GPU`; for a count
    /// taken from the instance type, what the file said.
    parts: Option<String>,
    /// Whether the prices are a Google GPU row's plus its host's.
    combined: bool,
    zones: Vec<Priced>,
    /// Rows repeating an earlier row's zone at the same prices: (line, the earlier line).
    repeats: Vec<(usize, usize)>,
    /// Rows that went into the group in all.
    rows: usize,
    /// Why the rows contradict each other (two accelerators, two GPU counts, one zone at two
    /// prices, a Google host priced twice in a zone): the offer is left out.
    conflict: Option<String>,
}

impl Group {
    fn new(
        accelerator: &'static str,
        name: &str,
        count: u32,
        line: usize,
        parts: Option<String>,
        combined: bool,
    ) -> Group {
        Group {
            accelerator,
            name: name.to_string(),
            count,
            first_line: line,
            parts,
            combined,
            zones: Vec::new(),
            repeats: Vec::new(),
            rows: 0,
            conflict: None,
        }
    }

    /// Adds a row of accelerator `accelerator` (the file's `name`) × `count`, unless it
    /// contradicts an earlier row of the group: then the group records why, and keeps only
    /// counting rows. `no_zones`: the file has no `AvailabilityZone` column, so a row's zone
    /// is its region.
    fn add(
        &mut self,
        row: Priced,
        accelerator: &'static str,
        name: &str,
        count: u32,
        no_zones: bool,
    ) {
        self.rows += 1;
        if self.conflict.is_some() {
            return;
        }
        if accelerator != self.accelerator {
            self.conflict = Some(format!(
                "which disagree on the accelerator (line {}: `{}`, tcosim `{}`; line {}: `{name}`, tcosim `{accelerator}`)",
                self.first_line, self.name, self.accelerator, row.line
            ));
            return;
        }
        if count != self.count {
            self.conflict = Some(format!(
                "which disagree on the GPU count (line {}: {}; line {}: {count})",
                self.first_line, self.count, row.line
            ));
            return;
        }
        if let Some(earlier) = self.zones.iter().find(|z| z.zone == row.zone) {
            if earlier.prices == row.prices {
                self.repeats.push((row.line, earlier.line));
            } else {
                let with_host = if self.combined {
                    ", each with its host's"
                } else {
                    ""
                };
                // Without availability zones, a row stands for its region.
                let (place, why) = if no_zones {
                    (
                        "region",
                        "; a file without `AvailabilityZone` has one row a region",
                    )
                } else {
                    ("zone", "")
                };
                self.conflict = Some(format!(
                    "which price {place} `{}` twice (line {}: {}; line {}: {}{with_host}{why})",
                    row.zone,
                    earlier.line,
                    earlier.prices.describe(),
                    row.line,
                    row.prices.describe()
                ));
            }
            return;
        }
        self.zones.push(row);
    }
}

/// A Google host row: its line, and its prices, or the price text that is not one.
struct Host {
    line: usize,
    prices: Result<Zone, String>,
    /// The price text as written (on-demand, spot), for messages.
    text: (String, String),
}

const REQUIRED: [&str; 6] = [
    "InstanceType",
    "AcceleratorName",
    "AcceleratorCount",
    "Price",
    "SpotPrice",
    "Region",
];

/// Columns read when the file has them.
const OPTIONAL: [&str; 2] = ["AvailabilityZone", "GpuInfo"];

/// The character column at which field `index` (0-based) of the header line starts, where the
/// line is plain (no quotes); else 1.
fn header_column(text: &str, index: usize) -> usize {
    let line = text.lines().next().unwrap_or("");
    let line = line.strip_prefix('\u{feff}').unwrap_or(line);
    let fields: Vec<&str> = line.split(',').collect();
    if line.contains('"') || index >= fields.len() {
        return 1;
    }
    1 + fields[..index]
        .iter()
        .map(|f| f.chars().count() + 1)
        .sum::<usize>()
}

/// Reads a SkyPilot catalog CSV (`display` names it in messages).
pub fn import(display: &str, text: &str, settings: &Settings) -> Result<Import, InputError> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| InputError::new(display, "cannot read the CSV header").found(e.to_string()))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    for name in REQUIRED {
        if col(name).is_none() {
            return Err(InputError::new(display, format!("no `{name}` column"))
                .expected(format!(
                    "a SkyPilot catalog with columns {}",
                    REQUIRED.join(", ")
                ))
                .found(format!("columns {}", headers.join(", ")))
                .did_you_mean(name, headers.iter().map(String::as_str)));
        }
    }
    // A column the import reads, named twice, would leave it to pick one of the two.
    for name in REQUIRED.iter().chain(&OPTIONAL) {
        let named: Vec<usize> = (0..headers.len())
            .filter(|i| headers[*i].eq_ignore_ascii_case(name))
            .collect();
        if let [first, second, ..] = named[..] {
            return Err(
                InputError::new(display, format!("column `{name}` named twice"))
                    .at_position(1, header_column(text, second))
                    .expected(format!(
                        "each column the import reads named once ({})",
                        REQUIRED
                            .iter()
                            .chain(&OPTIONAL)
                            .copied()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                    .found(format!(
                        "`{}` twice, columns {} and {}",
                        headers[second],
                        first + 1,
                        second + 1
                    )),
            );
        }
    }
    let idx = |name: &str| col(name).unwrap_or(usize::MAX);
    let (c_type, c_name, c_count, c_price, c_spot, c_region) = (
        idx("InstanceType"),
        idx("AcceleratorName"),
        idx("AcceleratorCount"),
        idx("Price"),
        idx("SpotPrice"),
        idx("Region"),
    );
    let (c_zone, c_info) = (col(OPTIONAL[0]), col(OPTIONAL[1]));

    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let mut tiny_spots = 0usize;
    // Spot prices written but no price (`-1`, `n/a`, `0`): how many, and the first's line and
    // text.
    let mut no_price_spots: Option<(usize, usize, String)> = None;
    let mut corrected_counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
    // Google: host rows by (machine type, zone) and GPU rows to add them to.
    let mut hosts: BTreeMap<(String, String), Vec<Host>> = BTreeMap::new();
    let mut gpu_rows: Vec<(String, u32, &'static str, String, usize, Priced)> = Vec::new();
    // Rows whose on-demand price a catalog would refuse, by what they price: how many, and
    // the first one's line and price.
    let mut out_of_range: BTreeMap<String, (usize, usize, f64)> = BTreeMap::new();
    // Google GPU rows whose host row has no valid on-demand price, by what they price: how
    // many, and the first such host row's line and price text.
    let mut bad_hosts: BTreeMap<String, (usize, usize, String)> = BTreeMap::new();
    let no_zones = c_zone.is_none();

    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| {
            InputError::new(display, "cannot read a CSV row")
                .at_position(line, 1)
                .found(e.to_string())
        })?;
        let get = |c: usize| record.get(c).unwrap_or("").trim();
        let number = |c: usize| -> Option<f64> {
            get(c)
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0)
        };
        let instance = get(c_type);
        let name = get(c_name);
        let region = get(c_region).to_string();
        let zone = c_zone
            .map(|c| get(c).to_string())
            .filter(|z| !z.is_empty())
            .unwrap_or_else(|| region.clone());
        // A spot price the catalog could not hold (below MIN_PRICE) is left out, and counted;
        // so is one that is written but no price.
        let spot = number(c_spot);
        let mut note_spot = |tiny: &mut usize| {
            if spot.is_some_and(|s| s < MIN_PRICE) {
                *tiny += 1;
            } else if spot.is_none() && !get(c_spot).is_empty() {
                let first = no_price_spots.get_or_insert((0, line, get(c_spot).to_string()));
                first.0 += 1;
            }
        };
        let prices = number(c_price).map(|on_demand| Zone {
            on_demand,
            spot: spot.filter(|s| *s >= MIN_PRICE),
        });
        if name.is_empty() {
            // A machine without accelerators: only useful as a Google GPU host. A host row
            // without a valid price is kept to say so to its GPU rows.
            if !instance.is_empty() {
                if prices.is_some() {
                    note_spot(&mut tiny_spots);
                }
                hosts
                    .entry((instance.to_string(), zone))
                    .or_default()
                    .push(Host {
                        line,
                        prices: prices.ok_or_else(|| get(c_price).to_string()),
                        text: (get(c_price).to_string(), get(c_spot).to_string()),
                    });
            }
            continue;
        }
        let Some(prices) = prices else {
            *skipped
                .entry("rows without an on-demand price".to_string())
                .or_default() += 1;
            continue;
        };
        let on_demand = prices.on_demand;
        note_spot(&mut tiny_spots);
        let count_raw = get(c_count);
        let count = match count_raw.parse::<f64>() {
            Ok(c) if c >= 1.0 && c.fract() == 0.0 && c <= f64::from(MAX_ACCELERATORS) => c as u32,
            _ => {
                *skipped
                    .entry(format!(
                        "`{name}` rows with accelerator count `{count_raw}` (tcosim counts whole accelerators)"
                    ))
                    .or_default() += 1;
                continue;
            }
        };
        let memory = c_info.and_then(|c| memory_mib(get(c)));
        let Some(accelerator) = accelerator_id(name, memory) else {
            *skipped
                .entry(format!(
                    "rows of accelerator `{name}`, which has no tcosim accelerator id"
                ))
                .or_default() += 1;
            continue;
        };
        // A catalog refuses the price (a host row's counts only added to its GPUs', checked
        // there).
        if !within(on_demand, MIN_ON_DEMAND, MONEY) {
            let what = if instance.is_empty() {
                format!("`{name}` GPU rows")
            } else {
                format!("rows of `{instance}`")
            };
            out_of_range.entry(what).or_insert((0, line, on_demand)).0 += 1;
            continue;
        }
        let row = Priced { zone, line, prices };
        if instance.is_empty() {
            gpu_rows.push((name.to_string(), count, accelerator, region, line, row));
            continue;
        }
        // A count the instance type's own name contradicts is the file's error (SkyPilot's
        // Azure file gives `Standard_ND96isr_H100_v5` 12 GPUs): the name's count is used, and
        // said so.
        let (count, corrected) = match super::check::stated_gpu_count(instance) {
            Some(stated) if stated != count && (1..=MAX_ACCELERATORS).contains(&stated) => {
                (stated, Some(count))
            }
            _ => (count, None),
        };
        if let Some(found) = corrected {
            *corrected_counts
                .entry(format!(
                    "`{instance}`: AcceleratorCount {found} contradicts the instance type's {count} GPUs; {count} used"
                ))
                .or_default() += 1;
        }
        let group = groups
            .entry((instance.to_string(), region))
            .or_insert_with(|| Group::new(accelerator, name, count, line, None, false));
        if group.parts.is_none()
            && let Some(found) = corrected
        {
            group.parts = Some(format!(
                "{count} GPUs as the instance type states (the file says {found})"
            ));
        }
        group.add(row, accelerator, name, count, no_zones);
    }

    for (name, count, accelerator, region, line, gpu) in gpu_rows {
        let Some(host) = gcp_host(&name, count) else {
            *skipped
                .entry(format!(
                    "`{name}` GPU rows without a fixed host machine type (attached to a host of your choice)"
                ))
                .or_default() += 1;
            continue;
        };
        let Some(rows) = hosts.get(&(host.clone(), gpu.zone.clone())) else {
            *skipped
                .entry(format!(
                    "`{name}` x{count} GPU rows whose host `{host}` has no row in the same zone"
                ))
                .or_default() += 1;
            continue;
        };
        let new_group = || {
            Group::new(
                accelerator,
                &name,
                count,
                line,
                Some(format!("host {host} + {count}x {name}")),
                true,
            )
        };
        // Two host rows of one machine type and zone at different prices: which is the
        // host's is not known, so neither is the offer's. A repeat at the same prices is one.
        if let Some(other) = rows.iter().skip(1).find(|h| h.prices != rows[0].prices) {
            let group = groups
                .entry((host.clone(), region))
                .or_insert_with(new_group);
            group.rows += 1;
            group.conflict.get_or_insert_with(|| {
                format!(
                    "whose host `{host}` has two rows in zone `{}` (line {}: price `{}`, spot `{}`; line {}: price `{}`, spot `{}`)",
                    gpu.zone,
                    rows[0].line,
                    rows[0].text.0,
                    rows[0].text.1,
                    other.line,
                    other.text.0,
                    other.text.1
                )
            });
            continue;
        }
        let h = match &rows[0].prices {
            Ok(h) => *h,
            Err(text) => {
                bad_hosts
                    .entry(format!(
                        "`{name}` x{count} GPU rows whose host row `{host}` has an invalid on-demand price"
                    ))
                    .or_insert((0, rows[0].line, text.clone()))
                    .0 += 1;
                continue;
            }
        };
        let combined = Zone {
            on_demand: gpu.prices.on_demand + h.on_demand,
            spot: gpu.prices.spot.zip(h.spot).map(|(g, h)| g + h),
        };
        if !within(combined.on_demand, MIN_ON_DEMAND, MONEY) {
            *skipped
                .entry(format!(
                    "`{name}` x{count} GPU rows whose on-demand price with their host `{host}` is outside {}, which a catalog refuses ({})",
                    accepted("{min} to {max} USD per hour", MIN_ON_DEMAND, MONEY),
                    crate::error::written(combined.on_demand)
                ))
                .or_default() += 1;
            continue;
        }
        let row = Priced {
            prices: combined,
            ..gpu
        };
        groups
            .entry((host.clone(), region))
            .or_insert_with(new_group)
            .add(row, accelerator, &name, count, no_zones);
    }

    for (what, (rows, line, price)) in out_of_range {
        *skipped
            .entry(format!(
                "{what} with an on-demand price outside {}, which a catalog refuses (line {line}: {})",
                accepted("{min} to {max} USD per hour", MIN_ON_DEMAND, MONEY),
                crate::error::written(price)
            ))
            .or_default() += rows;
    }
    for (what, (rows, line, text)) in bad_hosts {
        let found = if text.is_empty() {
            "empty".to_string()
        } else {
            format!("`{text}`")
        };
        *skipped
            .entry(format!(
                "{what} (line {line}: {found}, expected a number above 0)"
            ))
            .or_default() += rows;
    }

    let mut offers = Vec::new();
    let mut ids = std::collections::BTreeSet::new();
    for ((instance, region), g) in groups {
        if let Some(conflict) = &g.conflict {
            *skipped
                .entry(format!(
                    "rows of `{instance}` in `{region}`, {conflict}: the offer is left out"
                ))
                .or_default() += g.rows;
            continue;
        }
        if let [(line, earlier), ..] = g.repeats[..] {
            *skipped
                .entry(format!(
                    "rows of `{instance}` in `{region}` repeating an earlier row's zone and prices, counted once (line {line} repeats line {earlier})"
                ))
                .or_default() += g.repeats.len();
        }
        let rows = g.zones.len();
        if rows == 0 {
            continue;
        }
        let o = offer(settings, instance, region, g);
        if let Some((column, problem)) = refused_text(&o) {
            *skipped
                .entry(format!(
                    "rows of offers whose `{column}` would hold {problem}, which a catalog refuses"
                ))
                .or_default() += rows;
            continue;
        }
        // Ids join instance and region with `-`, which both may hold: two pairs could meet
        // in one id, which a catalog refuses as a duplicate. The first (in sorted order) stays.
        if !ids.insert(o.id.clone()) {
            *skipped
                .entry(format!(
                    "rows of offers whose id `{}` another instance and region already have, which a catalog refuses",
                    o.id
                ))
                .or_default() += rows;
            continue;
        }
        offers.push(o);
    }
    if offers.is_empty() {
        return Err(InputError::new(display, "no offer to import")
            .expected("rows of accelerator instances with a price")
            .found(if skipped.is_empty() {
                "none".to_string()
            } else {
                describe(&skipped).join("; ")
            }));
    }
    let mut left_out = describe(&skipped);
    if let Some((n, line, text)) = &no_price_spots {
        left_out.push(format!(
            "left out {n} spot price{} that {} no price (the first on line {line}: `{}`; the \
             rows' on-demand prices are kept)",
            if *n == 1 { "" } else { "s" },
            if *n == 1 { "is" } else { "are" },
            crate::limits::printable(text)
        ));
    }
    if tiny_spots > 0 {
        left_out.push(format!(
            "left out {tiny_spots} spot price{} below {} USD per hour (the rows' on-demand prices \
             are kept)",
            if tiny_spots == 1 { "" } else { "s" },
            super::validate::accepted("{min}", MIN_PRICE, MIN_PRICE),
        ));
    }
    Ok(Import {
        offers,
        skipped: left_out,
        skipped_rows: skipped.values().sum(),
        corrected: corrected_counts
            .iter()
            .map(|(what, n)| format!("{what} ({n} row{})", if *n == 1 { "" } else { "s" }))
            .collect(),
    })
}

/// The first text of `o` the catalog loader would refuse (a control character, or longer than
/// its limit), with the column and the problem.
fn refused_text(o: &CloudOffer) -> Option<(&'static str, String)> {
    let note = o.note.as_deref().unwrap_or("");
    [
        ("id", o.id.as_str(), false, true),
        ("provider", &o.provider, false, false),
        ("instance_type", &o.instance_type, false, false),
        ("region", &o.region, false, false),
        ("source", &o.source, true, false),
        ("as_of", &o.as_of, false, false),
        ("note", note, true, false),
    ]
    .into_iter()
    .find_map(|(column, text, free, name)| {
        let composed = || {
            crate::limits::check_composed(text).map_err(|e| {
                format!(
                    "`{}`, not in Unicode's composed form (NFC): {}",
                    e.found,
                    e.hint()
                )
            })
        };
        crate::limits::check_field(text, free, name)
            .and_then(|()| if name { composed() } else { Ok(()) })
            .err()
            .map(|problem| (column, problem))
    })
}

fn describe(skipped: &BTreeMap<String, usize>) -> Vec<String> {
    skipped
        .iter()
        .map(|(what, n)| {
            // Each description speaks of rows: one is a row.
            let what = if *n == 1 {
                what.replacen("rows", "row", 1)
            } else {
                what.clone()
            };
            format!("left out {n} {what}")
        })
        .collect()
}

/// One offer from the zones of one instance type in one region: on-demand the median over
/// the zones; spot the median over the zones whose spot price is below their on-demand one
/// (an equal price is a placeholder, not a market price).
fn offer(s: &Settings, instance: String, region: String, g: Group) -> CloudOffer {
    let mut prices: Vec<f64> = g.zones.iter().map(|z| z.prices.on_demand).collect();
    let on_demand = median(&mut prices).unwrap_or(0.0);
    let mut spots: Vec<f64> = g
        .zones
        .iter()
        .filter_map(|z| z.prices.spot.filter(|s| *s < z.prices.on_demand))
        .collect();
    let spot_zones = spots.len();
    let spot = median(&mut spots);
    let zones = |n: usize| {
        if n == 1 {
            "1 zone".to_string()
        } else {
            format!("{n} zones")
        }
    };
    let mut note = format!(
        "imported from SkyPilot {}: on-demand = median over {}; {}",
        s.file_name,
        zones(g.zones.len()),
        if spot_zones == 0 {
            "no spot price below on-demand".to_string()
        } else {
            format!(
                "spot = median over {} with a spot price below on-demand",
                zones(spot_zones)
            )
        }
    );
    if let Some(parts) = &g.parts {
        note.push_str(&format!("; {parts}"));
    }
    if !s.dated {
        note.push_str("; estimate because the source is undated: as_of is the import date");
    }
    CloudOffer {
        id: format!("{}-{instance}-{region}", s.provider),
        provider: s.provider.to_string(),
        instance_type: instance,
        region,
        accelerator: g.accelerator.to_string(),
        accelerator_count: g.count,
        on_demand_usd_per_hour: on_demand,
        spot_usd_per_hour: spot,
        commit_1y_usd_per_hour: None,
        commit_3y_usd_per_hour: None,
        commit_1y_derived: false,
        commit_3y_derived: false,
        source: format!("SkyPilot catalog {} ({})", s.file_name, s.provider),
        as_of: s.as_of.to_string(),
        estimate: !s.dated,
        note: Some(note),
        origin: String::new(),
        line: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpu_memory_is_read_from_the_dict_literal() {
        let info = "{'Gpus': [{'Name': 'A100', 'Manufacturer': 'NVIDIA', 'Count': 8, \
                    'MemoryInfo': {'SizeInMiB': 81920}}], 'TotalGpuMemoryInMiB': 655360}";
        assert_eq!(memory_mib(info), Some(81920.0));
        assert_eq!(
            accelerator_id("A100", memory_mib(info)),
            Some("a100-80gb-sxm")
        );
        assert_eq!(accelerator_id("A100", None), Some("a100-40gb-sxm"));
        assert_eq!(accelerator_id("tpu-v4-8", None), None);
    }

    #[test]
    fn google_gpus_have_fixed_hosts_or_none() {
        assert_eq!(gcp_host("A100", 8).as_deref(), Some("a2-highgpu-8g"));
        assert_eq!(gcp_host("H100", 8).as_deref(), Some("a3-highgpu-8g"));
        assert_eq!(gcp_host("T4", 1), None);
    }
}
