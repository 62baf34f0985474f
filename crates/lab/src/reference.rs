//! The algorithm reference the models and races cite ("algorithms.md §1.6 E4"), bundled so
//! that every § citation opens where a lecture needs it: `pieces` splits a text into
//! plain runs and citations, `section` finds the cited passage.

/// docs/algorithms.md: each algorithm as atomic steps, shared state, interrupt rules,
/// invariants and races, in numbered sections.
pub const ALGORITHMS: &str = include_str!("../../../docs/algorithms.md");

/// A passage of the reference: its heading and its text up to the next heading of the
/// same or a higher level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub id: String,
    pub title: String,
    pub body: String,
}

/// A run of text, or a citation of a section that the reference has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Cite { label: String, id: String },
}

/// Heading level and text of a markdown heading line (`### 1.6 (e) Known races`).
fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.bytes().take_while(|&b| b == b'#').count();
    (level > 0 && line.as_bytes().get(level) == Some(&b' ')).then(|| (level, line[level..].trim()))
}

/// The section numbered `id` (`1.6`, `3`, `4.5`): a heading that starts with the number,
/// else a bold paragraph that does (`**4.5B — …**`, the races of §4.5), up to the next
/// heading of the same or a higher level (for a paragraph: the next heading).
pub fn section(id: &str) -> Option<Section> {
    let starts = |text: &str| {
        text.strip_prefix(id).is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '.', 'A', 'B', 'C', 'D']))
    };
    let lines: Vec<&str> = ALGORITHMS.lines().collect();
    let (at, level, title) = lines
        .iter()
        .enumerate()
        .find_map(|(i, l)| heading(l).filter(|(_, t)| starts(t)).map(|(lv, t)| (i, lv, t.to_string())))
        .or_else(|| {
            lines.iter().enumerate().find_map(|(i, l)| {
                let t = l.strip_prefix("**")?;
                starts(t).then(|| (i, usize::MAX, t.trim_end_matches("**").trim_end_matches('*').to_string()))
            })
        })?;
    let end = lines[at + 1..]
        .iter()
        .position(|l| heading(l).is_some_and(|(lv, _)| lv <= level || level == usize::MAX))
        .map_or(lines.len(), |k| at + 1 + k);
    let body = lines[at + 1..end].join("\n").trim().to_string();
    Some(Section { id: id.to_string(), title, body })
}

/// The section numbers a citation may name, read once from the reference: each
/// heading's leading number (`1.6`, `3`, the appendices' `E`) and each bold race
/// paragraph's (`4.5` of `**4.5B — …**`). `section` finds each of them.
fn cited_ids() -> &'static std::collections::HashSet<String> {
    static IDS: std::sync::OnceLock<std::collections::HashSet<String>> = std::sync::OnceLock::new();
    IDS.get_or_init(|| {
        let number = |t: &str| {
            let n = t.split([' ', '—']).next().unwrap_or("").trim_end_matches('.');
            n.trim_end_matches(['A', 'B', 'C', 'D']).trim_end_matches('.').to_string()
        };
        ALGORITHMS
            .lines()
            .filter_map(|l| heading(l).map(|(_, t)| t).or_else(|| l.strip_prefix("**")))
            .map(number)
            .filter(|n| !n.is_empty() && section(n).is_some())
            .collect()
    })
}

/// `text` split into plain runs and citations (`§1.6`, `§ 3.8`, `§4.5B`) of sections the
/// reference has; a § that names none stays text.
pub fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('§') {
        plain.push_str(&rest[..at]);
        let after = &rest[at + '§'.len_utf8()..];
        let digits = after.trim_start_matches(' ');
        let len = digits.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(digits.len());
        let mut number = digits[..len].trim_end_matches('.');
        // The lettered appendices: §E, §H, §S.
        let mut chars = digits.chars();
        if let (true, Some(c)) = (number.is_empty(), chars.next()) {
            if c.is_ascii_uppercase() && !chars.next().is_some_and(|n| n.is_ascii_alphanumeric()) {
                number = &digits[..1];
            }
        }
        // A letter right after the number names one race of a section (4.5B).
        let letter = digits[number.len()..].chars().next().filter(|c| c.is_ascii_uppercase() && number.contains('.'));
        let id_len = number.len() + letter.map_or(0, |_| 1);
        match !number.is_empty() && cited_ids().contains(number) {
            true => {
                if !plain.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut plain)));
                }
                let label = format!("§{}", &digits[..id_len]);
                out.push(Piece::Cite { label, id: number.to_string() });
                rest = &digits[id_len..];
            }
            false => {
                plain.push('§');
                rest = after;
            }
        }
    }
    plain.push_str(rest);
    if !plain.is_empty() {
        out.push(Piece::Text(plain));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cited_section_opens_at_its_heading_and_stops_at_the_next() {
        let s = section("1.6").expect("§1.6");
        assert!(s.title.starts_with("1.6 (e) Known races"), "{}", s.title);
        assert!(s.body.contains("E4") && !s.body.contains("### 1.7"), "{}", &s.body[..200.min(s.body.len())]);
        let top = section("3").expect("§3");
        assert!(top.title.starts_with("3. DragonFly") && top.body.contains("### 3.8"));
        // A race of §4.5 is a bold paragraph, not a heading.
        let b = section("4.5").expect("§4.5");
        assert!(b.title.starts_with("4.5A") && b.body.contains("4.5C"), "{}", b.title);
        assert_eq!(section("99.1"), None);
    }

    #[test]
    fn pieces_keep_every_character_and_link_only_sections_that_exist() {
        let text = "see algorithms.md §1.6 E4, § 3.8 R7, §4.5B, §E and §99 or §.";
        let p = pieces(text);
        let cites: Vec<(&str, &str)> = p
            .iter()
            .filter_map(|x| match x {
                Piece::Cite { label, id } => Some((label.as_str(), id.as_str())),
                Piece::Text(_) => None,
            })
            .collect();
        assert_eq!(cites, [("§1.6", "1.6"), ("§3.8", "3.8"), ("§4.5B", "4.5"), ("§E", "E")]);
        let shown: String = p
            .iter()
            .map(|x| match x {
                Piece::Text(t) => t.clone(),
                Piece::Cite { label, .. } => label.clone(),
            })
            .collect();
        assert_eq!(shown, text.replace("§ 3.8", "§3.8"));
    }

    /// Every § a bundled model cites (its comments, races' citations and stories) opens a
    /// passage of the reference.
    #[test]
    fn every_citation_of_the_bundled_models_opens() {
        let mut n = 0;
        for m in sdlab_engine::models::BUNDLED {
            for (i, _) in m.source.match_indices('§') {
                let cited = &m.source[i..];
                let head: String = cited.chars().take(16).collect();
                let ok = matches!(pieces(&head).first(), Some(Piece::Cite { .. }));
                let line = m.source[..i].lines().count();
                let what: String = cited.chars().take(12).collect();
                assert!(ok, "{} line {line}: `{what}` names no section of docs/algorithms.md", m.id);
                n += 1;
            }
        }
        assert!(n > 0, "the models cite no section");
    }
}
