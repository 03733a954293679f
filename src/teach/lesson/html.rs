//! The page: `lesson.html` with the CSS, the SVG, the data and the script put in its place
//! holders. Everything is inline and the Content-Security-Policy forbids every fetch, so the
//! page works offline and cannot reach the network even if something in it tried.

use super::svg::esc;
use super::Lesson;
use crate::error::{Error, Result};

const TEMPLATE: &str = include_str!("lesson.html");
const CSS: &str = include_str!("lesson.css");
const JS: &str = include_str!("lesson.js");

/// Nothing may be fetched: no scripts, styles, images, fonts or connections from anywhere;
/// the inline style and script are the page's own.
pub const CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'none'; font-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'";

/// JSON that cannot end the `<script>` element it sits in: `<`, `>` and `&` only occur inside
/// JSON strings, where `\u003c` etc. mean the same characters.
fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

/// The template with each `{{hole}}` replaced, in one pass over the template, so that text put
/// in is never searched for holes itself.
fn fill(template: &str, holes: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + holes.iter().map(|(_, t)| t.len()).sum::<usize>());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else { break };
        let key = &rest[start..start + len + 2];
        out.push_str(&rest[..start]);
        match holes.iter().find(|(h, _)| *h == key) {
            Some((_, text)) => out.push_str(text),
            None => out.push_str(key),
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

pub fn render(l: &Lesson) -> Result<String> {
    let data = serde_json::to_string(&l.data).map_err(|e| Error::Other(format!("writing the lesson's data as JSON: {e}")))?;
    let d = &l.data;
    let holes = [
        ("{{csp}}", CSP.to_string()),
        ("{{title}}", esc(&d.title)),
        ("{{heading}}", esc(&d.title)),
        ("{{subtitle}}", esc(&d.subtitle)),
        ("{{panel_title}}", esc(&d.panel_title)),
        ("{{css}}", CSS.to_string()),
        ("{{svg}}", l.svg.clone()),
        ("{{data}}", script_safe(&data)),
        ("{{js}}", JS.to_string()),
    ];
    Ok(fill(TEMPLATE, &holes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_place_holder_is_in_the_template_once_and_only_there() {
        let holes = [
            "{{csp}}",
            "{{title}}",
            "{{heading}}",
            "{{subtitle}}",
            "{{panel_title}}",
            "{{css}}",
            "{{svg}}",
            "{{data}}",
            "{{js}}",
        ];
        for hole in holes {
            assert_eq!(TEMPLATE.matches(hole).count(), 1, "{hole}");
            assert!(!CSS.contains(hole) && !JS.contains(hole), "{hole}");
        }
        assert_eq!(TEMPLATE.matches("{{").count(), holes.len());
    }

    #[test]
    fn text_put_in_is_not_searched_for_holes() {
        let out = fill("<a>{{x}}</a>{{y}}{{z}", &[("{{x}}", "{{y}}".into()), ("{{y}}", "Y".into())]);
        assert_eq!(out, "<a>{{y}}</a>Y{{z}");
    }

    #[test]
    fn json_in_a_script_element_cannot_close_it() {
        let s = script_safe(r#"{"t":"</script><b>&"}"#);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["t"], "</script><b>&");
    }
}
