//! The core's feed follower against a real cloud: each event once, in order, and it stops.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hc_core::{FeedEventInfo, FeedEventKind, FeedFollower, FeedListener, HcError, MessageId};
use hc_testkit::World;

#[derive(Default)]
struct Heard(Mutex<Vec<FeedEventInfo>>, Mutex<Vec<(HcError, bool)>>);

impl FeedListener for Heard {
    fn on_event(&self, event: FeedEventInfo) {
        self.0.lock().unwrap().push(event);
    }
    fn on_error(&self, error: HcError, retrying: bool) {
        self.1.lock().unwrap().push((error, retrying));
    }
}

impl Heard {
    fn events(&self) -> Vec<FeedEventInfo> {
        self.0.lock().unwrap().clone()
    }
    fn errors(&self) -> Vec<(HcError, bool)> {
        self.1.lock().unwrap().clone()
    }
}

/// Waits (up to 15 s) until `done` holds.
async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "waited for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cloud_goes_away_the_follower_keeps_trying_and_hears_what_came_next_once() {
    let mut world = World::start(|c| c).await;
    let owner = world.owner("owner").await;
    let heard = Arc::new(Heard::default());
    let follower = FeedFollower::start_with(owner.clone(), None, heard.clone(), 1);
    until("the owner's own login", || heard.events().len() == 1).await;

    // A deploy: the cloud is away for a while. The follower says so and keeps trying.
    world.stop_cloud().await;
    until("a retrying error", || {
        heard.errors().iter().any(|(_, r)| *r)
    })
    .await;
    assert!(!follower.is_stopped());
    world.restart_cloud().await;

    // Back: another phone logs in, and the follower hears it, once.
    world
        .phone()
        .login(
            "owner@example.com".into(),
            hc_testkit::ACCOUNT_PASSWORD.into(),
        )
        .await
        .unwrap();
    until("the login after the restart", || heard.events().len() >= 2).await;
    // Long enough for a repeat to show (the long poll here is 1 s).
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let events = heard.events();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events[0].id < events[1].id);
    let errors = heard.errors();
    assert!(
        errors
            .iter()
            .all(|(e, retrying)| *retrying && matches!(e, HcError::Network { .. })),
        "{errors:?}"
    );

    // The owner logs out on this phone: the follower stops and says why, not retrying.
    owner.logout().await.unwrap();
    until("the follower to stop", || follower.is_stopped()).await;
    let (last, retrying) = heard.errors().last().cloned().unwrap();
    assert!(!retrying, "{last:?}");
    assert_eq!(
        last.ui_message().id,
        MessageId::ErrorNotLoggedIn,
        "{last:?}"
    );
}
