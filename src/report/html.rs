//! `index.html` of a report folder: the content of `report.md` as one self-contained page, charts
//! inline as SVG, embedded CSS, no scripts and no network requests, so it opens offline.

use super::charts::Chart;
use super::content::Content;

const CSS: &str = "body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;color:#222;max-width:1240px;margin:2em auto;padding:0 1em;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
.verdict{background:#f3f7fb;border-left:5px solid #0072B2;padding:.6em 1.2em;font-size:1.08em}
table{border-collapse:collapse;margin:.8em 0;font-size:.92em}th,td{border:1px solid #ddd;padding:.3em .6em;vertical-align:top}
th{background:#f5f5f5}tbody th{text-align:left;font-weight:normal}td.num{text-align:right;white-space:nowrap}tbody tr:nth-child(even){background:#fafafa}
figure{margin:1.2em 0}figure svg{max-width:100%;height:auto;border:1px solid #eee}figcaption{color:#444;margin-top:.3em}
.muted{color:#666;font-size:.9em}";

/// Renders the page; `charts` must be the charts `content` was built from, in the same order.
pub fn render(c: &Content, charts: &[Chart]) -> String {
    let mut out =
        String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(&format!(
        "<title>{} — tcosim report</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n",
        esc(&c.title)
    ));
    out.push_str(&format!(
        "<h1>{}</h1>\n<p class=\"muted\">{}</p>\n<h2>Verdict</h2>\n<div class=\"verdict\">\n<ul>\n",
        esc(&c.title),
        esc(&c.scope)
    ));
    for line in &c.verdict {
        out.push_str(&format!("<li>{}</li>\n", esc(line)));
    }
    out.push_str("</ul>\n</div>\n");
    if let Some(summary) = &c.policy_summary {
        out.push_str(&format!(
            "<h2>Policies</h2>\n<p>{}</p>\n",
            code_spans(&esc(summary))
        ));
        out.push_str(&table(&c.policies_header, &c.policies, false));
    }
    out.push_str("<h2>Summary</h2>\n");
    out.push_str(&table(&c.summary_header, &c.summary, true));
    for s in [&c.showback, &c.sharing, &c.generations]
        .into_iter()
        .flatten()
    {
        out.push_str(&format!(
            "<h2>{}</h2>\n<p>{}</p>\n",
            esc(&s.heading),
            code_spans(&esc(&s.text))
        ));
        out.push_str(&table(&s.header, &s.rows, true));
    }
    if !c.uncertainty.is_empty() {
        out.push_str("<h2>Uncertainty</h2>\n");
        for section in &c.uncertainty {
            out.push_str(&format!(
                "<h3>{}</h3>\n<p>{}</p>\n",
                esc(&section.heading),
                code_spans(&esc(&section.text))
            ));
            if !section.header.is_empty() {
                out.push_str(&table(&section.header, &section.rows, true));
            }
        }
    }
    out.push_str("<h2>Charts</h2>\n");
    for (r, chart) in c.charts.iter().zip(charts) {
        out.push_str(&format!(
            "<figure id=\"{}\">\n<h3>{}</h3>\n{}\n<figcaption>{} <a href=\"{}\">SVG</a> · <a href=\"{}\">PNG</a></figcaption>\n</figure>\n",
            chart.name,
            esc(&r.title),
            inline_svg(&chart.svg, &r.title),
            esc(&r.caption),
            r.svg_file,
            r.png_file
        ));
    }
    out.push_str("<h2>Assumptions</h2>\n<p>Every value the run took from a catalog row, with its unit, where it came from (<em>catalog</em>, <em>derived</em> by tcosim from the row, or <em>scenario</em> with the catalog&#39;s value beside it), the row&#39;s source and date; <em>estimate</em> marks rows without a dated public source.</p>\n");
    out.push_str(&linked_table(&c.rows_header, &c.rows_used, c.source_column));
    if !c.warnings.is_empty() {
        out.push_str("<p>Warnings:</p>\n<ul>\n");
        for w in &c.warnings {
            out.push_str(&format!("<li>{}</li>\n", esc(w)));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("<h2>Methodology</h2>\n<ul>\n");
    for (heading, text) in &c.methodology {
        out.push_str(&format!(
            "<li><strong>{}.</strong> {}</li>\n",
            esc(heading),
            code_spans(&esc(text))
        ));
    }
    out.push_str("</ul>\n</body>\n</html>\n");
    out
}

/// The chart's SVG without its XML declaration, labelled for screen readers.
fn inline_svg(svg: &str, title: &str) -> String {
    let body = match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    };
    body.replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-label=\"{}\" ", esc(title)),
        1,
    )
}

fn table(header: &[String], rows: &[Vec<String>], numeric: bool) -> String {
    let mut out = String::from("<table>\n<thead><tr>");
    for h in header {
        out.push_str(&format!("<th>{}</th>", esc(h)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            if i == 0 {
                out.push_str(&format!("<th>{}</th>", esc(cell)));
            } else if numeric {
                out.push_str(&format!("<td class=\"num\">{}</td>", esc(cell)));
            } else {
                out.push_str(&format!("<td>{}</td>", esc(cell)));
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// A table of text cells whose `link_column` turns URLs into links; a row with a first cell
/// starts a catalog row, later lines of the same row leave it empty.
fn linked_table(header: &[String], rows: &[Vec<String>], link_column: usize) -> String {
    let mut out = table(header, &[], false);
    let body_end = out.len() - "</tbody>\n</table>\n".len();
    out.truncate(body_end);
    for row in rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let text = if i == link_column {
                linked(cell)
            } else {
                esc(cell)
            };
            if i == 0 {
                out.push_str(&format!("<th>{text}</th>"));
            } else {
                out.push_str(&format!("<td>{text}</td>"));
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// `text` escaped, its URLs as links.
fn linked(text: &str) -> String {
    super::content::links(text)
        .into_iter()
        .map(|(url, piece)| {
            if url {
                format!("<a href=\"{}\">{}</a>", esc(piece), esc(piece))
            } else {
                esc(piece)
            }
        })
        .collect()
}

/// Turns `code` spans of already escaped text into `<code>` elements.
fn code_spans(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str(&format!("<code>{part}</code>"));
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(code_spans("run `x` now"), "run <code>x</code> now");
        assert_eq!(
            linked("see https://a.org/?q=\"x\"&y <b>"),
            "see <a href=\"https://a.org/?q=&quot;x&quot;&amp;y\">https://a.org/?q=&quot;x&quot;&amp;y</a> &lt;b&gt;"
        );
    }
}
