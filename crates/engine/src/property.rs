//! The properties the checker decides, and the kinds a declared race can be: one table
//! that the machine, the search, the compiler, the CLI, the worker protocol and the page
//! all read, so that a property's code, its keyword in `race … expect` and its words
//! cannot drift apart.
//!
//! On the wire (JSON) a property is its code (`"G-STALE"`), a race kind its keyword.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A property broken by a step, or by a state with nowhere to go. The declaration order
/// is the report order at one breadth-first depth (see `search::outcome::rank`): the
/// hardware-level properties the checker exists for, then the model's own assertions,
/// then stuck states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Property {
    /// A CPU uses a translation to a frame freed (or reused) since the entry was filled.
    Stale,
    /// A page written since the kernel last saw it dirty is cleaned or freed without
    /// that write being seen.
    Dirty,
    /// A CPU uses a cached translation between acknowledging a shootdown and invalidating.
    UsermodeWindow,
    /// A CPU reads or writes request storage after its owner retired it.
    Mem,
    /// A model's `assert` failed.
    Assert,
    /// No CPU can make progress and a waiter has the interrupt it needs masked (or
    /// waits in a handler on the context it interrupted).
    Deadlock,
    /// A waiter will never be acknowledged and nothing pending can wake it.
    NoLost,
}

impl Property {
    /// Every property, in report order.
    pub const ALL: [Property; 7] = [
        Property::Stale,
        Property::Dirty,
        Property::UsermodeWindow,
        Property::Mem,
        Property::Assert,
        Property::Deadlock,
        Property::NoLost,
    ];

    /// The name used in messages, the CLI's output, docs and on the wire.
    pub const fn code(self) -> &'static str {
        match self {
            Property::Stale => "G-STALE",
            Property::Dirty => "G-DIRTY",
            Property::UsermodeWindow => "G-USERMODE-WINDOW",
            Property::Mem => "G-MEM",
            Property::Assert => "assert",
            Property::Deadlock => "G-DEADLOCK",
            Property::NoLost => "G-NOLOST",
        }
    }

    /// The word a model's `race … expect` names it by.
    pub const fn keyword(self) -> &'static str {
        match self {
            Property::Stale => "stale",
            Property::Dirty => "dirty",
            Property::UsermodeWindow => "window",
            Property::Mem => "mem",
            Property::Assert => "assert",
            Property::Deadlock => "deadlock",
            Property::NoLost => "nolost",
        }
    }

    /// What breaking it means, as a noun phrase for a sentence ("Found … in 12 steps").
    pub const fn harm(self) -> &'static str {
        match self {
            Property::Stale => "a use after free through a stale TLB entry",
            Property::Dirty => "a lost modification (a write the kernel never saw)",
            Property::UsermodeWindow => "a use of a cached translation between acknowledgement and invalidation",
            Property::Mem => "request storage used after its owner reused it",
            Property::Assert => "a failed assertion",
            Property::Deadlock => "a deadlock",
            Property::NoLost => "a lost shootdown",
        }
    }

    /// A short label for a list or a chip ("lost shootdown").
    pub const fn label(self) -> &'static str {
        match self {
            Property::Stale => "use after free through a stale TLB entry",
            Property::Dirty => "lost modification",
            Property::UsermodeWindow => "use of a cached translation between acknowledgement and invalidation",
            Property::Mem => "request storage used after its owner reused it",
            Property::Assert => "assertion",
            Property::Deadlock => "deadlock",
            Property::NoLost => "lost shootdown",
        }
    }

    /// Broken by a state with no enabled choice rather than by a step.
    pub const fn is_stuck(self) -> bool {
        matches!(self, Property::Deadlock | Property::NoLost)
    }

    /// `harm` with the code after it, for a reader who wants to look it up.
    pub fn describe(self) -> String {
        match self {
            Property::Assert => self.harm().to_string(),
            _ => format!("{} ({})", self.harm(), self.code()),
        }
    }

    pub fn from_keyword(word: &str) -> Option<Property> {
        Property::ALL.into_iter().find(|p| p.keyword() == word)
    }

    /// The keywords, for an error message that lists what is accepted.
    pub fn keywords() -> String {
        Property::ALL.map(|p| p.keyword()).join(", ")
    }
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.code())
    }
}

/// Parses a code (`G-STALE`); the error names what was given and what is accepted.
impl FromStr for Property {
    type Err = String;
    fn from_str(s: &str) -> Result<Property, String> {
        Property::ALL
            .into_iter()
            .find(|p| p.code() == s)
            .ok_or_else(|| format!("unknown property `{s}` (one of {})", Property::ALL.map(|p| p.code()).join(", ")))
    }
}

impl Serialize for Property {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Property {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Property, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Where a declared race comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RaceKind {
    /// Seen in a real kernel and fixed there (the citation names the commit, CVE, PR or
    /// list post).
    Bug,
    /// An interleaving inferred from a design or a document (the citation names it).
    Reconstruction,
    /// A deliberately broken variant that shows why a step exists.
    Mutation,
}

impl RaceKind {
    pub const ALL: [RaceKind; 3] = [RaceKind::Bug, RaceKind::Reconstruction, RaceKind::Mutation];

    /// The word a model's `race … kind` names it by, and its name on the wire.
    pub const fn keyword(self) -> &'static str {
        match self {
            RaceKind::Bug => "bug",
            RaceKind::Reconstruction => "reconstruction",
            RaceKind::Mutation => "mutation",
        }
    }

    /// How the gallery and the catalogue say it.
    pub const fn label(self) -> &'static str {
        match self {
            RaceKind::Bug => "real bug",
            RaceKind::Reconstruction => "reconstruction",
            RaceKind::Mutation => "mutation",
        }
    }

    pub fn from_keyword(word: &str) -> Option<RaceKind> {
        RaceKind::ALL.into_iter().find(|k| k.keyword() == word)
    }
}

impl fmt::Display for RaceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.keyword())
    }
}

impl Serialize for RaceKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.keyword())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_keywords_are_unique_and_round_trip() {
        for p in Property::ALL {
            assert_eq!(p.code().parse::<Property>(), Ok(p));
            assert_eq!(Property::from_keyword(p.keyword()), Some(p));
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{}\"", p.code()));
            assert_eq!(serde_json::from_str::<Property>(&format!("\"{}\"", p.code())).unwrap(), p);
        }
        let codes: std::collections::HashSet<_> = Property::ALL.map(|p| p.code()).into_iter().collect();
        let words: std::collections::HashSet<_> = Property::ALL.map(|p| p.keyword()).into_iter().collect();
        assert_eq!((codes.len(), words.len()), (7, 7));
        assert!("G-FOO".parse::<Property>().unwrap_err().contains("G-FOO"));
        for k in RaceKind::ALL {
            assert_eq!(RaceKind::from_keyword(k.keyword()), Some(k));
        }
    }

    #[test]
    fn report_order_puts_hardware_properties_before_assertions_and_stuck_states() {
        let mut sorted = Property::ALL;
        sorted.sort();
        assert_eq!(sorted, Property::ALL);
        assert!(Property::Mem < Property::Assert && Property::Assert < Property::Deadlock);
        assert!(Property::ALL.iter().filter(|p| p.is_stuck()).count() == 2);
    }
}
