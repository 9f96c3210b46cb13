//! The core's feed follower against a real cloud: each event once, in order, and it stops.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hc_core::{FeedEventInfo, FeedEventKind, FeedFollower, FeedListener, HcError, MessageId};
use hc_testkit::World;

#[derive(Default)]
struct Heard(Mutex<Vec<FeedEventInfo>>);

impl FeedListener for Heard {
    fn on_event(&self, event: FeedEventInfo) {
        self.0.lock().unwrap().push(event);
    }
    fn on_error(&self, _error: HcError, _retrying: bool) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_follower_hands_each_new_login_once_and_stops_when_told() {
    let world = World::start(|c| c).await;
    let owner = world.owner("owner").await;
    let heard = Arc::new(Heard::default());
    let follower = FeedFollower::start_with(owner.clone(), None, heard.clone(), 2);
    // Another phone logs in to the account: a new login, while the follower waits.
    let other = world.phone();
    other
        .login(
            "owner@example.com".into(),
            hc_testkit::ACCOUNT_PASSWORD.into(),
        )
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while heard.0.lock().unwrap().len() < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    follower.stop_and_wait().await;
    let events = heard.0.lock().unwrap().clone();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events.iter().all(|e| e.kind == FeedEventKind::NewLogin));
    assert_eq!(events[0].message.id, MessageId::FeedNewLogin);
    assert!(events[0].id < events[1].id);
    assert_eq!(follower.last_id(), events[1].id);
    assert!(follower.is_stopped());
    // The page API agrees, and nothing follows the last event.
    let page = owner.feed_page(Some(follower.last_id()), 0).await.unwrap();
    assert!(page.events.is_empty());
    // A webhook that is not https on a public host is refused with words the user can act on.
    let error = owner
        .register_webhook("http://127.0.0.1:9/hook".into())
        .await
        .unwrap_err();
    assert_eq!(error.ui_message().id, MessageId::ErrorInvalidPushEndpoint);
}
