//! The OS resolver behind a safe type: libc's `getaddrinfo`, so /etc/hosts,
//! /etc/services, DNS and the caller's exact hints apply as they do for
//! WasmEdge. rustix has no resolver, and std's `ToSocketAddrs` takes neither
//! hints nor service names, so this stays on libc; the raw list is owned by
//! [`AddrInfoList`] and read through [`Record`]s.

use std::ffi::CStr;
use std::marker::PhantomData;

/// A successful `getaddrinfo` result, freed on drop.
pub struct AddrInfoList {
    head: *mut libc::addrinfo,
}

/// One record of an [`AddrInfoList`], borrowed from it.
pub struct Record<'a> {
    pub flags: libc::c_int,
    pub family: libc::c_int,
    pub socktype: libc::c_int,
    pub protocol: libc::c_int,
    /// `ai_addrlen` as the resolver reported it.
    pub addrlen: u32,
    /// The `ai_addrlen` bytes of `ai_addr`, if there are any.
    pub addr: Option<&'a [u8]>,
    pub canonname: Option<&'a CStr>,
}

/// Hints for [`resolve`]: the four values a caller chooses, the rest null.
pub fn hints(
    flags: libc::c_int,
    family: libc::c_int,
    socktype: libc::c_int,
    protocol: libc::c_int,
) -> libc::addrinfo {
    libc::addrinfo {
        ai_flags: flags,
        ai_family: family,
        ai_socktype: socktype,
        ai_protocol: protocol,
        ai_addrlen: 0,
        ai_addr: std::ptr::null_mut(),
        ai_canonname: std::ptr::null_mut(),
        ai_next: std::ptr::null_mut(),
    }
}

/// `getaddrinfo(node, service, hints)`; `Err` carries the `EAI_*` code.
pub fn resolve(
    node: Option<&CStr>,
    service: Option<&CStr>,
    hints: &libc::addrinfo,
) -> Result<AddrInfoList, libc::c_int> {
    let mut head: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: NUL-terminated strings or NULL, valid hints (null pointers), and
    // `head` receives the list, which `AddrInfoList` frees.
    let rc = unsafe {
        libc::getaddrinfo(
            node.map_or(std::ptr::null(), CStr::as_ptr),
            service.map_or(std::ptr::null(), CStr::as_ptr),
            hints,
            &mut head,
        )
    };
    if rc != 0 {
        return Err(rc);
    }
    Ok(AddrInfoList { head })
}

impl AddrInfoList {
    /// The records in the resolver's order.
    pub fn records(&self) -> Records<'_> {
        Records { next: self.head, list: PhantomData }
    }
}

impl Drop for AddrInfoList {
    fn drop(&mut self) {
        // SAFETY: `head` came from a successful getaddrinfo and is freed once.
        unsafe { libc::freeaddrinfo(self.head) };
    }
}

/// Iterator over an [`AddrInfoList`].
pub struct Records<'a> {
    next: *const libc::addrinfo,
    list: PhantomData<&'a AddrInfoList>,
}

impl<'a> Iterator for Records<'a> {
    type Item = Record<'a>;

    fn next(&mut self) -> Option<Record<'a>> {
        // SAFETY: `next` is null or a node of the list getaddrinfo returned,
        // alive while the list is borrowed (`'a`); its canonical name is NULL
        // or NUL-terminated, its address NULL or `ai_addrlen` bytes.
        let (info, addr, canonname) = unsafe {
            let info = self.next.as_ref()?;
            let addr = (info.ai_addrlen > 0 && !info.ai_addr.is_null())
                .then(|| std::slice::from_raw_parts(info.ai_addr.cast::<u8>(), info.ai_addrlen as usize));
            let canonname = (!info.ai_canonname.is_null()).then(|| CStr::from_ptr(info.ai_canonname));
            (info, addr, canonname)
        };
        self.next = info.ai_next;
        Some(Record {
            flags: info.ai_flags,
            family: info.ai_family,
            socktype: info.ai_socktype,
            protocol: info.ai_protocol,
            addrlen: info.ai_addrlen,
            addr,
            canonname,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_hosts_resolve_to_their_address() {
        let numeric = hints(libc::AI_NUMERICHOST | libc::AI_NUMERICSERV, libc::AF_INET, libc::SOCK_STREAM, 0);
        let list = resolve(Some(c"127.0.0.1"), Some(c"8080"), &numeric).unwrap();
        let records: Vec<_> = list.records().collect();
        assert_eq!(records.len(), 1);
        let record = &records[0];
        assert_eq!((record.family, record.socktype, record.addrlen), (libc::AF_INET, libc::SOCK_STREAM, 16));
        assert_eq!(&record.addr.unwrap()[2..8], &[0x1f, 0x90, 127, 0, 0, 1]);
        assert!(record.canonname.is_none());
    }

    #[test]
    fn failures_carry_the_eai_code() {
        let numeric = hints(libc::AI_NUMERICHOST, libc::AF_UNSPEC, 0, 0);
        assert_eq!(resolve(Some(c"not an address"), None, &numeric).err(), Some(libc::EAI_NONAME));
    }
}
