//! Models bundled with the product, embedded at build time.

pub struct Bundled {
    pub id: &'static str,
    pub source: &'static str,
}

pub const BUNDLED: &[Bundled] =
    &[Bundled { id: "freebsd-scoreboard", source: include_str!("../models/freebsd-scoreboard.sdm") }];

pub fn find(id: &str) -> Option<&'static Bundled> {
    BUNDLED.iter().find(|b| b.id == id)
}
