//! Parsing of the human units scenario files use: durations (`90s`, `10m`, `1h30m`), Kubernetes
//! CPU quantities (`500m`, `2`, `0.5`) and memory quantities (`512Mi`, `2Gi`, `1G`). Every parser
//! returns a message saying what was expected, so the caller can attach the field path.

use crate::sim::time::SimDuration;

/// Parses a duration string made of one or more `<integer><unit>` parts, with units `ms`, `s`,
/// `m`, `h`, `d` (e.g. `1h30m`, `90s`, `250ms`). Fractions are allowed on a single part (`1.5h`).
pub fn parse_duration(text: &str) -> Result<SimDuration, String> {
    let s = text.trim();
    let expected = || {
        format!(
            "`{text}` is not a duration; expected a number with a unit, e.g. `90s`, `10m`, `1h30m`, `250ms`, `2d`"
        )
    };
    if s.is_empty() {
        return Err(expected());
    }
    let mut total: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(expected)?;
        if num_len == 0 {
            return Err(expected());
        }
        let (num, after) = rest.split_at(num_len);
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let unit_ms: u64 = match unit {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(expected()),
        };
        let value: f64 = num.parse().map_err(|_| expected())?;
        if !value.is_finite() {
            return Err(expected());
        }
        let ms = value * unit_ms as f64;
        if ms > 1.0e15 {
            return Err(format!(
                "`{text}` is too long; durations must be under 30,000 years"
            ));
        }
        total = total.saturating_add(ms.round() as u64);
        rest = next;
    }
    Ok(SimDuration(total))
}

/// Parses a Kubernetes CPU quantity into millicores: `500m`, `2`, `0.25`.
pub fn parse_cpu(text: &str) -> Result<u64, String> {
    let s = text.trim();
    let err = || {
        format!(
            "`{text}` is not a CPU quantity; expected cores like `2` or `0.5`, or millicores like `500m`"
        )
    };
    let (num, scale) = match s.strip_suffix('m') {
        Some(n) => (n, 1.0),
        None => (s, 1000.0),
    };
    let v: f64 = num.parse().map_err(|_| err())?;
    if !v.is_finite() || v < 0.0 {
        return Err(err());
    }
    let m = v * scale;
    if m > 1.0e9 {
        return Err(format!("`{text}` is too large for a CPU request"));
    }
    Ok(m.round() as u64)
}

/// Parses a Kubernetes memory quantity into MiB: `512Mi`, `2Gi`, `1G`, `1500M`, `1Ti`, or a plain
/// number of bytes. Rounds up to a whole MiB, as a request can only be met by whole units.
pub fn parse_memory_mib(text: &str) -> Result<u64, String> {
    let s = text.trim();
    let err = || {
        format!(
            "`{text}` is not a memory quantity; expected e.g. `512Mi`, `2Gi`, `1G` (suffixes Ki, Mi, Gi, Ti, k, M, G, T)"
        )
    };
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    let bytes_per_unit: f64 = match suffix {
        "" => 1.0,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0_f64.powi(4),
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        _ => return Err(err()),
    };
    let v: f64 = num.parse().map_err(|_| err())?;
    if !v.is_finite() || v < 0.0 {
        return Err(err());
    }
    let mib = v * bytes_per_unit / (1024.0 * 1024.0);
    if mib > 1.0e12 {
        return Err(format!("`{text}` is too large for a memory request"));
    }
    // Round up, but forgive float noise in exact values such as 1.5Gi.
    let rounded = mib.round();
    Ok(if (mib - rounded).abs() < 1e-9 {
        rounded as u64
    } else {
        mib.ceil() as u64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap(), SimDuration(90_000));
        assert_eq!(parse_duration("10m").unwrap(), SimDuration(600_000));
        assert_eq!(parse_duration("1h30m").unwrap(), SimDuration(5_400_000));
        assert_eq!(parse_duration("250ms").unwrap(), SimDuration(250));
        assert_eq!(parse_duration("1.5h").unwrap(), SimDuration(5_400_000));
        assert_eq!(parse_duration("2d").unwrap(), SimDuration(172_800_000));
        assert_eq!(parse_duration("0s").unwrap(), SimDuration(0));
    }

    #[test]
    fn bad_durations_say_what_is_expected() {
        for bad in ["", "90", "s", "10x", "-5s", "1h-3m", "abc"] {
            let e = parse_duration(bad).unwrap_err();
            assert!(e.contains("expected"), "{bad}: {e}");
        }
        assert!(
            parse_duration("99999999999d")
                .unwrap_err()
                .contains("too long")
        );
    }

    #[test]
    fn cpu_quantities() {
        assert_eq!(parse_cpu("500m").unwrap(), 500);
        assert_eq!(parse_cpu("2").unwrap(), 2000);
        assert_eq!(parse_cpu("0.25").unwrap(), 250);
        assert!(parse_cpu("-1").is_err());
        assert!(parse_cpu("1Gi").is_err());
    }

    #[test]
    fn memory_quantities() {
        assert_eq!(parse_memory_mib("512Mi").unwrap(), 512);
        assert_eq!(parse_memory_mib("2Gi").unwrap(), 2048);
        assert_eq!(parse_memory_mib("1.5Gi").unwrap(), 1536);
        assert_eq!(parse_memory_mib("1G").unwrap(), 954); // 10^9 B = 953.67 MiB, rounded up
        assert_eq!(parse_memory_mib("1048576").unwrap(), 1);
        assert!(parse_memory_mib("2GB").is_err());
        assert!(parse_memory_mib("lots").is_err());
    }
}
