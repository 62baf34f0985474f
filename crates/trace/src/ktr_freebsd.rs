//! FreeBSD ktrdump (being written).

use crate::event::{TimeBase, WarningClass};
use crate::lines::Loc;
use crate::reader::{Finished, Sink};

#[derive(Debug)]
pub(crate) struct FreeBsd;

impl FreeBsd {
    pub(crate) fn new(_sample: &[u8]) -> FreeBsd {
        FreeBsd
    }
    pub(crate) fn line(&mut self, _line: &[u8], loc: Loc, sink: &mut Sink) {
        sink.warn(loc, WarningClass::Tokenize, "FreeBSD ktrdump not supported yet");
    }
    pub(crate) fn finish(self, _sink: &mut Sink) -> Finished {
        Finished { time: TimeBase::Ticks { hz: None }, cpus: 0 }
    }
}

pub(crate) fn looks_like_row(_line: &[u8]) -> bool {
    false
}
pub(crate) fn looks_like_header(_line: &[u8]) -> bool {
    false
}
