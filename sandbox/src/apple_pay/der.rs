//! Just enough DER to read one attribute of a certificate's subject: the certificate has
//! already been verified by rustls, so this only walks it (X.509, RFC 5280 §4.1).

/// One element: `(tag, content, rest)`; `None` when `input` does not start with a whole
/// definite-length element.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |len, byte| (len << 8) | usize::from(*byte));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The content of an element with tag `tag`, and what follows it.
fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (found, content, rest) = element(input)?;
    (found == tag).then_some((content, rest))
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;
const VERSION: u8 = 0xa0;
const UTF8_STRING: u8 = 0x0c;
const PRINTABLE_STRING: u8 = 0x13;
const IA5_STRING: u8 = 0x16;

/// The DER content octets of an object identifier.
fn oid_content(arcs: &[u64]) -> Vec<u8> {
    let mut out = Vec::new();
    let (first, second) = (arcs.first().copied(), arcs.get(1).copied());
    let mut encode = |mut arc: u64| {
        let mut bytes = vec![(arc & 0x7f) as u8];
        arc >>= 7;
        while arc > 0 {
            bytes.push((arc & 0x7f) as u8 | 0x80);
            arc >>= 7;
        }
        out.extend(bytes.iter().rev());
    };
    if let (Some(first), Some(second)) = (first, second) {
        encode(first * 40 + second);
    }
    arcs.iter().skip(2).for_each(|arc| encode(*arc));
    out
}

/// The string value of the subject attribute `oid` in a DER certificate: the first one, when
/// it is a UTF8String, PrintableString or IA5String.
pub(crate) fn subject_attribute(certificate: &[u8], oid: &[u64]) -> Option<String> {
    let wanted = oid_content(oid);
    let (certificate, _) = expect(certificate, SEQUENCE)?;
    let (tbs, _) = expect(certificate, SEQUENCE)?;
    // version [0] (optional), serialNumber, signature, issuer, validity, then subject.
    let mut rest = match element(tbs)? {
        (VERSION, _, rest) => rest,
        _ => tbs,
    };
    for _ in 0..4 {
        rest = element(rest)?.2;
    }
    let (mut names, _) = expect(rest, SEQUENCE)?;
    while !names.is_empty() {
        let (mut set, next) = expect(names, SET)?;
        names = next;
        while !set.is_empty() {
            let (attribute, next) = expect(set, SEQUENCE)?;
            set = next;
            let (kind, value) = expect(attribute, OID)?;
            if kind != wanted {
                continue;
            }
            return match element(value)? {
                (UTF8_STRING | PRINTABLE_STRING | IA5_STRING, text, _) => {
                    String::from_utf8(text.to_vec()).ok()
                }
                _ => None,
            };
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_identifiers_encode_as_der_does() {
        // 0.9.2342.19200300.100.1.1 (UID) and 2.5.4.3 (CN).
        assert_eq!(
            oid_content(&[0, 9, 2342, 19_200_300, 100, 1, 1]),
            [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01]
        );
        assert_eq!(oid_content(&[2, 5, 4, 3]), [0x55, 0x04, 0x03]);
    }

    #[test]
    fn truncated_or_odd_input_reads_as_nothing() {
        for input in [
            &b""[..],
            b"\x30",
            b"\x30\x85\x00\x00\x00\x00\x01",
            b"\x30\x05\x30\x03",
            b"\x04\x00",
        ] {
            assert_eq!(subject_attribute(input, &[2, 5, 4, 3]), None, "{input:?}");
        }
    }
}
