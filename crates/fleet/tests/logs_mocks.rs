//! `CloudWatchLogs` against `aws-smithy-mocks`: FilterLogEvents' pages are followed and the
//! events come oldest first whatever order the pages hold. (How a missing stream is told from
//! a missing group, which moto does not answer as AWS does, is a unit test in `logs.rs`: with
//! the CloudWatch Logs release we can lock, the mocks cannot return a modelled error.)

use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::config::retry::RetryConfig;
use aws_sdk_cloudwatchlogs::operation::filter_log_events::FilterLogEventsOutput;
use aws_sdk_cloudwatchlogs::types::FilteredLogEvent;
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use techchallenge_fleet::{CloudWatchLogs, LogSource};

/// A reader whose client answers by `rules`. (`mock_client!` wants a newer SDK release than the
/// CloudWatch Logs crate we can lock, so the client is assembled as the macro would.)
fn logs(rules: &[&Rule]) -> CloudWatchLogs {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    for rule in rules {
        interceptor = interceptor.with_rule(rule);
    }
    let config = aws_sdk_cloudwatchlogs::Config::builder()
        .with_test_defaults()
        .http_client(create_mock_http_client())
        .interceptor(interceptor)
        .retry_config(RetryConfig::disabled())
        .build();
    CloudWatchLogs::new(Client::from_conf(config))
}

#[tokio::test]
async fn pages_are_followed_and_events_come_oldest_first() {
    let first = mock!(Client::filter_log_events)
        .match_requests(|r| r.next_token().is_none())
        .then_output(|| {
            FilterLogEventsOutput::builder()
                .events(
                    FilteredLogEvent::builder()
                        .event_id("2")
                        .log_stream_name("i-0b")
                        .timestamp(2_000)
                        .message("second")
                        .build(),
                )
                .next_token("page-2")
                .build()
        });
    let second = mock!(Client::filter_log_events)
        .match_requests(|r| r.next_token() == Some("page-2"))
        .then_output(|| {
            FilterLogEventsOutput::builder()
                .events(
                    FilteredLogEvent::builder()
                        .event_id("1")
                        .log_stream_name("i-0a")
                        .timestamp(1_000)
                        .message("first")
                        .build(),
                )
                .build()
        });
    let read = logs(&[&first, &second])
        .events("/techchallenge/dev/app", &[], 0)
        .await
        .expect("answered")
        .expect("the group exists");
    let messages: Vec<_> = read.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(messages, ["first", "second"]);
    assert_eq!(read[0].instance_id, "i-0a");
}
