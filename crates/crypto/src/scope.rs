use crate::CryptoError;
use std::{fmt, str::FromStr};

/// Which names a sealed value is bound to. This is the only producer of OAEP labels,
/// so a label can never be built from anything but a scope and its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Scope {
    /// Bound to `namespace/name` (the default).
    #[default]
    Strict,
    /// Bound to `namespace`; the Secret may be renamed.
    NamespaceWide,
    /// Not bound; any namespace and name.
    ClusterWide,
}

/// An OAEP label. Constructed only by [`Scope::label`].
#[derive(Clone, PartialEq, Eq)]
pub struct Label(Vec<u8>);

impl Label {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The OAEP label of envelope v2's RSA stanzas, which wrap a data key rather than a value.
    pub(crate) fn v2_data_key() -> Self {
        Self(crate::v2::format::RSA_OAEP_LABEL.to_vec())
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Labels are namespace/name, which is not secret, but keep logs uniform.
        write!(f, "Label({:?})", String::from_utf8_lossy(&self.0))
    }
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Strict, Scope::NamespaceWide, Scope::ClusterWide];

    /// The OAEP label for this scope. Strict needs both namespace and name, namespace-wide
    /// needs the namespace; cluster-wide ignores both.
    pub fn label(self, namespace: &str, name: &str) -> Result<Label, CryptoError> {
        match self {
            Scope::Strict => {
                require(namespace, self, "namespace")?;
                require(name, self, "name")?;
                Ok(Label(format!("{namespace}/{name}").into_bytes()))
            }
            Scope::NamespaceWide => {
                require(namespace, self, "namespace")?;
                Ok(Label(namespace.as_bytes().to_vec()))
            }
            Scope::ClusterWide => Ok(Label(Vec::new())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Strict => "strict",
            Scope::NamespaceWide => "namespace-wide",
            Scope::ClusterWide => "cluster-wide",
        }
    }
}

fn require(value: &str, scope: Scope, field: &'static str) -> Result<(), CryptoError> {
    if value.is_empty() {
        return Err(CryptoError::MissingScopeField {
            scope: scope.as_str(),
            field,
        });
    }
    Ok(())
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = CryptoError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "strict" => Ok(Scope::Strict),
            "namespace-wide" => Ok(Scope::NamespaceWide),
            "cluster-wide" => Ok(Scope::ClusterWide),
            other => Err(CryptoError::InvalidScope(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_match_bitnami() -> Result<(), CryptoError> {
        assert_eq!(Scope::Strict.label("ns", "n")?.as_bytes(), b"ns/n");
        assert_eq!(Scope::NamespaceWide.label("ns", "n")?.as_bytes(), b"ns");
        assert_eq!(Scope::ClusterWide.label("ns", "n")?.as_bytes(), b"");
        Ok(())
    }

    #[test]
    fn strict_needs_namespace_and_name() {
        assert!(Scope::Strict.label("", "n").is_err());
        assert!(Scope::Strict.label("ns", "").is_err());
        assert!(Scope::NamespaceWide.label("", "n").is_err());
        assert!(Scope::ClusterWide.label("", "").is_ok());
    }

    #[test]
    fn parse_round_trip() -> Result<(), CryptoError> {
        for s in Scope::ALL {
            assert_eq!(s.as_str().parse::<Scope>()?, s);
        }
        assert!("wide".parse::<Scope>().is_err());
        Ok(())
    }
}
