import Foundation

// Written once, beside the generated bindings (Generated/HcCore.swift), for every Swift user of the
// core (the app and HcPresentation): the core follows the feed (long polls, backoff, resuming after
// the last id), this only turns its listener into an async sequence.

extension HcClient {
    /// The owner's security feed after `after` (an earlier event's id; nil: from the first event),
    /// each event once, oldest first, then the new ones as they happen: `followFeed` as an async
    /// sequence, like the Kotlin `Flow`. Each iteration starts a follower; it stops when the
    /// iteration ends for any reason: the consuming task is cancelled, the loop breaks or returns
    /// (`first(where:)` too), or the iterator is dropped. While the cloud is out of reach the core
    /// retries by itself; an error it gives up on (the session ended) ends the iteration by throwing
    /// that `HcError`. `onStart` is handed each follower as it starts (its `lastId()` is where a
    /// later follow resumes). Events queue: the core's thread never waits for a slow consumer.
    public func feed(after: Int64? = nil, onStart: ((FeedFollower) -> Void)? = nil) -> FeedEvents {
        FeedEvents(client: self, after: after, onStart: onStart)
    }
}

/// See `HcClient.feed(after:onStart:)`. An `AsyncThrowingStream` inside, with an iterator of its
/// own: the stream's continuation is held by the listener the core holds, so the stream alone
/// would never learn that its consumer walked away (a loop that breaks does not cancel it) and its
/// follower would run on; this iterator stops the follower when it goes.
public struct FeedEvents: AsyncSequence {
    public typealias Element = FeedEventInfo

    let client: HcClient
    let after: Int64?
    let onStart: ((FeedFollower) -> Void)?

    public func makeAsyncIterator() -> Iterator {
        Iterator(client: client, after: after, onStart: onStart)
    }

    public final class Iterator: AsyncIteratorProtocol {
        private let follower: FeedFollower
        private var events: AsyncThrowingStream<FeedEventInfo, Error>.Iterator

        init(client: HcClient, after: Int64?, onStart: ((FeedFollower) -> Void)?) {
            var continuation: AsyncThrowingStream<FeedEventInfo, Error>.Continuation!
            let stream = AsyncThrowingStream<FeedEventInfo, Error>(bufferingPolicy: .unbounded) { continuation = $0 }
            let follower = client.followFeed(after: after, listener: StreamFeedListener(continuation))
            // The consuming task cancelled, or the core gave up: the follower stops.
            continuation.onTermination = { _ in follower.stop() }
            self.follower = follower
            events = stream.makeAsyncIterator()
            onStart?(follower)
        }

        deinit { follower.stop() }

        public func next() async throws -> FeedEventInfo? {
            try await events.next()
        }
    }
}

private final class StreamFeedListener: FeedListener, @unchecked Sendable {
    private let continuation: AsyncThrowingStream<FeedEventInfo, Error>.Continuation

    init(_ continuation: AsyncThrowingStream<FeedEventInfo, Error>.Continuation) {
        self.continuation = continuation
    }

    func onEvent(event: FeedEventInfo) {
        continuation.yield(event)
    }

    func onError(error: HcError, retrying: Bool) {
        if !retrying { continuation.finish(throwing: error) }
    }
}
