//! G-MEM (algorithms.md §0.4): request storage (pcpu fields, a csd, a cpusync on the
//! initiator's stack) that its owner has declared complete with `retire(x)` may be
//! reused at once, so no other CPU may read or write it afterwards. The owner's next
//! write makes it a live request again.

use super::*;

/// Retired words at once; the state's compact encoding counts them in 8 bits.
const MAX_RETIRED: usize = 64;

impl Machine {
    pub(super) fn retire(&self, s: &mut State, c: usize, addr: u32, fx: &mut Vec<Effect>) -> Result<(), RunError> {
        let r = Retired { addr, owner: c as u8 };
        match s.retired.binary_search_by_key(&addr, |r| r.addr) {
            Ok(i) => s.retired[i] = r,
            Err(_) if s.retired.len() >= MAX_RETIRED => return Err(RunError::TooManyRetired { max: MAX_RETIRED }),
            Err(i) => s.retired.insert(i, r),
        }
        fx.push(Effect::Retire { cpu: c as u8, addr });
        Ok(())
    }

    /// Judge the shared accesses of one step of CPU c (its effects `fx`): an access by
    /// another CPU to retired storage is a violation; the owner's write reclaims it.
    ///
    /// Under `hw_tso` a plain store is two events. Issued into the buffer, it is the
    /// CPU's access in program order: by another CPU it is a violation as a store to
    /// memory would be, and by the owner it reclaims the word (the owner builds its next
    /// request there; no other CPU can see the new value before the owner publishes it,
    /// and a publication commits the older store first). Committed to memory, it is the
    /// moment the value lands: another CPU's store issued before the retirement and
    /// committed after it overwrites storage the owner may already reuse, which is a
    /// violation too; the owner's own commit changes nothing (it was judged at issue).
    pub(super) fn check_retired(&self, s: &mut State, c: usize, fx: &[Effect]) -> Option<Violation> {
        if s.retired.is_empty() {
            return None;
        }
        let mut found = None;
        for e in fx {
            let (addr, what, writes) = match *e {
                Effect::Read { cpu, addr, .. } if cpu as usize == c => (addr, "read", false),
                Effect::Write { cpu, addr, .. } if cpu as usize == c => (addr, "wrote", true),
                Effect::StoreBuffered { cpu, addr, .. } if cpu as usize == c => (addr, "wrote", true),
                Effect::Rmw { cpu, addr, .. } if cpu as usize == c => (addr, "updated", true),
                Effect::StoreCommitted { cpu, addr, .. } => {
                    let Ok(i) = s.retired.binary_search_by_key(&addr, |r| r.addr) else { continue };
                    let owner = s.retired[i].owner;
                    if owner != cpu && found.is_none() {
                        found = Some(Violation {
                            property: Property::Mem,
                            cpu,
                            message: format!(
                                "a store of CPU {cpu} to {} reached memory (from its store buffer) after CPU {owner} considered the request complete and free to reuse",
                                self.addr_name(addr)
                            ),
                        });
                    }
                    continue;
                }
                _ => continue,
            };
            let Ok(i) = s.retired.binary_search_by_key(&addr, |r| r.addr) else { continue };
            let owner = s.retired[i].owner;
            if owner as usize == c {
                if writes {
                    s.retired.remove(i);
                }
            } else if found.is_none() {
                found = Some(Violation {
                    property: Property::Mem,
                    cpu: c as u8,
                    message: format!(
                        "CPU {c} {what} {} after CPU {owner} considered the request complete and free to reuse",
                        self.addr_name(addr)
                    ),
                });
            }
        }
        found
    }
}
