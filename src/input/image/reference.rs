//! Image references, in skopeo's transport syntax (`containers/image`:
//! `oci/layout`, `oci/archive`, `docker/archive`): `TRANSPORT:PATH[:REF]`,
//! split at the first `:` after the transport, so a path cannot hold one
//! (as in skopeo).

/// Where the image is, and which one of several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub transport: Transport,
    /// The directory or archive on this machine.
    pub path: String,
    pub selector: Selector,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `oci:DIR[:TAG]`: an OCI image layout directory.
    OciDir,
    /// `oci-archive:FILE[:TAG]`: the same layout in a tar file.
    OciArchive,
    /// `docker-archive:FILE[:NAME:TAG|:@N]`: `docker save` output.
    DockerArchive,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::OciDir => "oci",
            Transport::OciArchive => "oci-archive",
            Transport::DockerArchive => "docker-archive",
        }
    }
}

/// Which image of a layout or archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// The only one.
    Only,
    /// OCI: the `org.opencontainers.image.ref.name` annotation.
    Tag(String),
    /// docker-archive: a `RepoTags` entry, normalised (`docker.io/library/x:latest`).
    Name(String),
    /// docker-archive `@N`: the N-th entry of `manifest.json`, from 0.
    Index(usize),
}

/// Parses `oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]` or
/// `docker-archive:FILE[:NAME[:TAG]|:@N]`.
pub fn parse(s: &str) -> Result<Reference, String> {
    let (transport, rest) = s.split_once(':').ok_or_else(|| {
        format!("{s:?}: not an image reference (oci:DIR, oci-archive:FILE or docker-archive:FILE)")
    })?;
    let transport = match transport {
        "oci" => Transport::OciDir,
        "oci-archive" => Transport::OciArchive,
        "docker-archive" => Transport::DockerArchive,
        other => {
            return Err(format!(
                "{s:?}: unknown transport {other:?} (oci, oci-archive and docker-archive are read)"
            ));
        }
    };
    let (path, reference) = match rest.split_once(':') {
        Some((p, r)) => (p, Some(r)),
        None => (rest, None),
    };
    if path.is_empty() {
        return Err(format!("{s:?}: no path after {}:", transport.name()));
    }
    let selector = match (transport, reference) {
        (_, None) => Selector::Only,
        (_, Some("")) => return Err(format!("{s:?}: empty image name after the path")),
        (Transport::DockerArchive, Some(r)) => match r.strip_prefix('@') {
            Some(n) => Selector::Index(
                n.parse()
                    .map_err(|_| format!("{s:?}: @{n} is not a manifest index (@0, @1, ...)"))?,
            ),
            None => Selector::Name(normalize(r).map_err(|e| format!("{s:?}: {e}"))?),
        },
        (_, Some(r)) => Selector::Tag(r.to_string()),
    };
    Ok(Reference {
        transport,
        path: path.to_string(),
        selector,
    })
}

/// A Docker image name in its fully qualified form, as Docker's
/// `reference.ParseNormalizedNamed` then `TagNameOnly` give it:
/// `x` → `docker.io/library/x:latest`, `elfgate/x:v1` →
/// `docker.io/elfgate/x:v1`, `index.docker.io/x` → `docker.io/library/x`,
/// `localhost:5000/x:v1` unchanged. Digests (`@sha256:...`) are refused, as
/// `docker save` tags never carry one.
pub fn normalize(name: &str) -> Result<String, String> {
    if name.contains('@') {
        return Err(format!(
            "{name:?}: a digest cannot name an image in a docker-archive"
        ));
    }
    let (domain, remainder) = match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (first, rest)
        }
        _ => ("docker.io", name),
    };
    let domain = if domain == "index.docker.io" {
        "docker.io"
    } else {
        domain
    };
    // A tag is after the last `:` that comes after the last `/`.
    let last = remainder.rsplit('/').next().unwrap_or(remainder);
    let (path, tag) = match last.rsplit_once(':') {
        Some((_, tag)) => (
            remainder
                .get(..remainder.len() - tag.len() - 1)
                .unwrap_or(remainder),
            tag,
        ),
        None => (remainder, "latest"),
    };
    let path = if domain == "docker.io" && !path.contains('/') {
        format!("library/{path}")
    } else {
        path.to_string()
    };
    let valid_path = !path.is_empty()
        && path.split('/').all(|c| {
            !c.is_empty()
                && c.bytes()
                    .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'))
        });
    let valid_tag = !tag.is_empty()
        && tag.len() <= 128
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    let (host, port) = match domain.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (domain, None),
    };
    let valid_domain = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
        && port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !valid_path || !valid_tag || !valid_domain {
        return Err(format!("{name:?} is not a valid image name"));
    }
    Ok(format!("{domain}/{path}:{tag}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transports_and_selectors() {
        let r = parse("oci:/tmp/lay:v1").unwrap();
        assert_eq!(r.transport, Transport::OciDir);
        assert_eq!(r.path, "/tmp/lay");
        assert_eq!(r.selector, Selector::Tag("v1".into()));
        assert_eq!(parse("oci:lay").unwrap().selector, Selector::Only);
        assert_eq!(
            parse("oci-archive:a.tar:latest").unwrap().transport,
            Transport::OciArchive
        );
        let d = parse("docker-archive:d.tar:elfgate/x:v1").unwrap();
        assert_eq!(d.selector, Selector::Name("docker.io/elfgate/x:v1".into()));
        assert_eq!(
            parse("docker-archive:d.tar:@2").unwrap().selector,
            Selector::Index(2)
        );
        for bad in [
            "lay",
            "docker:x",
            "oci:",
            "oci:lay:",
            "docker-archive:d.tar:@x",
            "docker-archive:d.tar:x@sha256:00",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn docker_names_normalise_as_docker_does() {
        for (given, want) in [
            ("x", "docker.io/library/x:latest"),
            ("x:v1", "docker.io/library/x:v1"),
            ("elfgate/x:v1", "docker.io/elfgate/x:v1"),
            ("docker.io/elfgate/x:v1", "docker.io/elfgate/x:v1"),
            ("index.docker.io/x", "docker.io/library/x:latest"),
            ("localhost:5000/x:v1", "localhost:5000/x:v1"),
            ("localhost/a/b", "localhost/a/b:latest"),
            (
                "registry.example.com/team/app:1.2",
                "registry.example.com/team/app:1.2",
            ),
        ] {
            assert_eq!(normalize(given).unwrap(), want, "{given}");
        }
        for bad in ["", "X", "x:", "a//b", "x:v/1"] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
    }
}
