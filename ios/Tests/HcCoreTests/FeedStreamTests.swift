import Foundation
import XCTest
@testable import HcCore
import HcTestKit

/// A box the sequence's `onStart` fills from the iterating task.
private final class FollowerBox: @unchecked Sendable {
    private let lock = NSLock()
    private var _follower: FeedFollower?
    var follower: FeedFollower? {
        get { lock.withLock { _follower } }
        set { lock.withLock { _follower = newValue } }
    }

    /// The follower, once the iteration has started it.
    func started(timeout: Double = 10) async throws -> FeedFollower {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let follower { return follower }
            if Date() > deadline { throw TestFailure("no follower after \(timeout) s") }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
    }
}

private func awaitStopped(_ follower: FeedFollower, timeout: Double = 10) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while !follower.isStopped() {
        if Date() > deadline { throw TestFailure("the follower still runs after \(timeout) s") }
        try await Task.sleep(nanoseconds: 20_000_000)
    }
}

/// The security feed as a Swift async sequence (ios/Sources/HcCore/FeedStream.swift).
final class FeedStreamTests: XCTestCase {
    func testAnotherPhoneLoggingInArrivesAsItHappensAndBreakingOutOfTheLoopStopsTheFollower() async throws {
        let me = try await Rig.newAccount()
        let box = FollowerBox()
        let loginsBefore = try await me.client.feedPage(after: nil, waitSecs: 0).events.filter { $0.kind == .newLogin }.count
        let events = me.client.feed(onStart: { box.follower = $0 })
        XCTAssertNil(box.follower, "nothing runs until someone iterates")

        let reader = Task { () -> [FeedEventInfo] in
            var seen: [FeedEventInfo] = []
            for try await event in events {
                seen.append(event)
                if seen.filter({ $0.kind == .newLogin }).count > loginsBefore { break }
            }
            return seen
        }
        let follower = try await box.started()
        try await Rig.client().login(email: me.email, password: me.password)
        let seen = try await reader.value
        let login = try XCTUnwrap(seen.last)
        XCTAssertEqual(login.kind, .newLogin)
        XCTAssertEqual(login.message.id, .feedNewLogin)
        XCTAssertEqual(seen.map(\.id), seen.map(\.id).sorted(), "oldest first")
        XCTAssertEqual(Set(seen.map(\.id)).count, seen.count, "each event once")
        // Leaving the loop ends the iteration: the follower stops, though `events` is still held.
        try await awaitStopped(follower)
        XCTAssertGreaterThanOrEqual(follower.lastId(), login.id)
    }

    func testCancellingTheConsumingTaskStopsTheFollower() async throws {
        let me = try await Rig.newAccount()
        let box = FollowerBox()
        // After everything so far: nothing to hear until the next event.
        let last = try await me.client.feedPage(after: nil, waitSecs: 0).nextAfter
        let events = me.client.feed(after: last, onStart: { box.follower = $0 })
        let reader = Task { for try await _ in events {} }
        let follower = try await box.started()
        try await Task.sleep(nanoseconds: 200_000_000)
        XCTAssertFalse(follower.isStopped(), "the follower waits for events while the task reads")
        reader.cancel()
        _ = await reader.result
        try await awaitStopped(follower)
    }

    func testFirstWhereStopsTheFollowerOnceItHasItsEvent() async throws {
        let me = try await Rig.newAccount()
        let box = FollowerBox()
        try await Rig.client().login(email: me.email, password: me.password)
        let login = try await me.client.feed(onStart: { box.follower = $0 }).first { $0.kind == .newLogin }
        XCTAssertEqual(login?.message.id, .feedNewLogin)
        try await awaitStopped(try XCTUnwrap(box.follower))
    }

    func testWithoutASessionTheIterationEndsWithTheCoresErrorInsteadOfRetrying() async throws {
        let events = try Rig.client().feed()
        do {
            for try await event in events { XCTFail("an event without a session: \(event)") }
            XCTFail("the iteration ended without an error")
        } catch HcError.NotLoggedIn {
            XCTAssertEqual(errorMessage(error: .NotLoggedIn).id, .errorNotLoggedIn)
        }
    }
}
