//! The instances' logs in CloudWatch Logs, for `techchallenge logs`: the events of one log
//! group (all instances' streams, or some), from a point in time, oldest first. Streams remain
//! after their instance is terminated, so a gone instance's logs can still be read.

use async_trait::async_trait;
use serde::Serialize;

use crate::FleetError;

/// One log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEvent {
    /// CloudWatch Logs' id of the event (to skip it when seen again).
    pub id: String,
    /// The stream: the instance id.
    pub instance_id: String,
    /// When, in milliseconds since the Unix epoch.
    pub timestamp: i64,
    /// The line.
    pub message: String,
}

/// Reads log events.
#[async_trait]
pub trait LogSource: Send + Sync {
    /// The events of `group` at or after `since` (milliseconds since the epoch), of the streams
    /// in `streams` (every stream when empty; a named stream that does not exist has none),
    /// oldest first; `None` when the group does not exist (the stack that owns it is not
    /// deployed).
    async fn events(
        &self,
        group: &str,
        streams: &[String],
        since: i64,
    ) -> Result<Option<Vec<LogEvent>>, FleetError>;
}

/// [`LogSource`] over CloudWatch Logs' `FilterLogEvents`, following every page.
#[derive(Debug, Clone)]
pub struct CloudWatchLogs {
    client: aws_sdk_cloudwatchlogs::Client,
}

impl CloudWatchLogs {
    /// A reader for a loaded SDK configuration.
    pub fn from_config(config: &aws_types::SdkConfig) -> Self {
        Self::new(aws_sdk_cloudwatchlogs::Client::new(config))
    }

    /// A reader over this client.
    pub fn new(client: aws_sdk_cloudwatchlogs::Client) -> Self {
        Self { client }
    }
}

#[async_trait]
impl LogSource for CloudWatchLogs {
    async fn events(
        &self,
        group: &str,
        streams: &[String],
        since: i64,
    ) -> Result<Option<Vec<LogEvent>>, FleetError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let answer = self
                .client
                .filter_log_events()
                .log_group_name(group)
                .set_log_stream_names((!streams.is_empty()).then(|| streams.to_vec()))
                .start_time(since)
                .set_next_token(token.clone())
                .send()
                .await;
            let answer = match answer {
                Ok(a) => a,
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_resource_not_found_exception()) =>
                {
                    let message = e.as_service_error().and_then(|s| s.meta().message());
                    return Ok(stream_missing(streams, message).then(Vec::new));
                }
                Err(e) => {
                    return Err(FleetError::from_sdk(
                        "CloudWatch Logs",
                        "FilterLogEvents",
                        &e,
                    ));
                }
            };
            out.extend(answer.events().iter().map(|e| LogEvent {
                id: e.event_id().unwrap_or_default().to_owned(),
                instance_id: e.log_stream_name().unwrap_or_default().to_owned(),
                timestamp: e.timestamp().unwrap_or_default(),
                message: e.message().unwrap_or_default().to_owned(),
            }));
            // An empty or repeated token ends the list (some endpoints repeat the last one).
            match answer.next_token() {
                Some(next) if !next.is_empty() && token.as_deref() != Some(next) => {
                    token = Some(next.to_owned());
                }
                _ => break,
            }
        }
        out.sort_by(|a, b| (a.timestamp, &a.id).cmp(&(b.timestamp, &b.id)));
        Ok(Some(out))
    }
}

/// Whether FilterLogEvents' `ResourceNotFoundException` is about a named stream, not the group.
/// AWS answers the same exception for a named stream that does not exist ("The specified log
/// stream does not exist."): an instance that has not written yet, or a mistyped id. That is no
/// lines, not a missing group.
fn stream_missing(streams: &[String], message: Option<&str>) -> bool {
    !streams.is_empty() && message.is_some_and(|m| m.contains("log stream"))
}

#[cfg(test)]
mod tests {
    use super::stream_missing;

    #[test]
    fn a_missing_named_stream_is_told_from_a_missing_group() {
        let named = ["i-0notyet".to_owned()];
        let stream = Some("The specified log stream does not exist.");
        let group = Some("The specified log group does not exist.");
        assert!(stream_missing(&named, stream));
        assert!(!stream_missing(&named, group));
        assert!(!stream_missing(&[], stream), "no stream was named");
        assert!(!stream_missing(&named, None));
    }
}
