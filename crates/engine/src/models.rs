//! Models bundled with the product, embedded at build time.

pub struct Bundled {
    pub id: &'static str,
    pub source: &'static str,
}

impl Bundled {
    /// The model's `model "…";` title, read without compiling.
    pub fn title(&self) -> &'static str {
        self.source
            .lines()
            .find_map(|l| l.trim().strip_prefix("model \"").and_then(|r| r.split('"').next()))
            .unwrap_or(self.id)
    }
}

pub const BUNDLED: &[Bundled] = &[
    Bundled { id: "freebsd-scoreboard", source: include_str!("../models/freebsd-scoreboard.sdm") },
    Bundled { id: "freebsd-global", source: include_str!("../models/freebsd-global.sdm") },
    Bundled { id: "mach", source: include_str!("../models/mach.sdm") },
    Bundled { id: "dillon-2004", source: include_str!("../models/dillon-2004.sdm") },
    Bundled { id: "linux", source: include_str!("../models/linux.sdm") },
    Bundled { id: "dragonfly", source: include_str!("../models/dragonfly.sdm") },
    Bundled { id: "freebsd-di", source: include_str!("../models/freebsd-di.sdm") },
    Bundled { id: "arm64-tlbi", source: include_str!("../models/arm64-tlbi.sdm") },
];

pub fn find(id: &str) -> Option<&'static Bundled> {
    BUNDLED.iter().find(|b| b.id == id)
}
