//! [`Postcard`]: the serde format of requests and replies.
//!
//! postcard is compact (varints, no field names), fast, and its wire
//! format is specified and stable since 1.0. It is not self-describing,
//! which is why every request carries the server type and the schema
//! fingerprint: a mismatch is refused before anything is decoded.

use genserver_core::{Codec, WireError};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// postcard, as a [`Codec`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Postcard;

impl Codec for Postcard {
    fn encode<V: Serialize + ?Sized>(value: &V) -> Result<Vec<u8>, WireError> {
        postcard::to_allocvec(value).map_err(WireError::malformed)
    }

    fn decode<V: DeserializeOwned>(bytes: &[u8]) -> Result<V, WireError> {
        let (value, rest) = postcard::take_from_bytes(bytes).map_err(WireError::malformed)?;
        if !rest.is_empty() {
            return Err(WireError::malformed(format_args!(
                "{} bytes left over",
                rest.len()
            )));
        }
        Ok(value)
    }
}
