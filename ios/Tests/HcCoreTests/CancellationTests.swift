import Foundation
import XCTest
@testable import HcCore

/// Async calls cancelled while the request is in flight.
///
/// uniffi 0.32's Swift bindings do not forward `Task` cancellation to the Rust future (its Kotlin
/// bindings do): a cancelled task's call still runs until the core finishes it, bounded by the
/// config's request timeout. The reset screen cancels through `ResetFlow.cancel()`, which a
/// SwiftUI `.task` reaches with `withTaskCancellationHandler`, as tested here.
final class CancellationTests: XCTestCase {
    func testCancellingTheTaskOfAResetFlowRequestGoesBackToScanning() async throws {
        let text = try await Rig.deviceE.showingQr()
        let account = try await Rig.newAccount()
        let silent = try SilentServer()
        defer { silent.close() }
        // The same account on a phone whose cloud stopped answering: the session comes from the store
        // (a session belongs to its cloud, so the stored one is moved with it to the silent address).
        let store = account.store.withCloudAt(Rig.cloudUrl, silent.url)
        let client = try Rig.client(store: store, config: Rig.config(cloudUrl: silent.url, requestTimeoutMs: 60_000))
        XCTAssertTrue(client.isLoggedIn())
        let states = FlowStates()
        let flow = client.resetFlow(listener: states)

        // The screen's task: scan, then wait for the code; leaving the screen cancels the task.
        let screen = Task {
            await withTaskCancellationHandler {
                flow.submitText(text: text)
                return try? await states.next(timeout: 60, where: isFinal)
            } onCancel: {
                flow.cancel()
            }
        }
        // Poll the flow, not the listener's stream: the screen task is already reading that stream,
        // and an AsyncStream hands each state to one reader only.
        let deadline = Date().addingTimeInterval(30)
        while !isRequesting(flow.state()) || silent.connections == 0 {  // requesting, and on the wire
            guard Date() < deadline else { return XCTFail("no request on the wire; history \(states.history)") }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        let (_, seconds) = await timed {
            screen.cancel()
            _ = await screen.value
        }
        XCTAssertLessThan(seconds, 2)
        XCTAssertEqual(flow.state(), .scanning(hint: nil))
        try await Task.sleep(nanoseconds: 200_000_000)
        XCTAssertEqual(flow.state(), .scanning(hint: nil), "the abandoned request must not come back")
    }

    func testACancelledCallEndsWithinTheRequestTimeoutAndTheCoreKeepsWorking() async throws {
        let silent = try SilentServer()
        defer { silent.close() }
        let client = try Rig.client(config: Rig.config(cloudUrl: silent.url, requestTimeoutMs: 1_500))
        let call = Task { try await client.login(email: "someone@example.test", password: "whatever-password") }
        while silent.connections == 0 { try await Task.sleep(nanoseconds: 10_000_000) }
        let (result, seconds) = await timed {
            call.cancel()
            return await call.result
        }
        XCTAssertLessThan(seconds, 10)
        guard case .failure(HcError.Network) = result else { return XCTFail("\(result)") }

        // The runtime under the bindings is not wedged by the abandoned call.
        let account = try await Rig.newAccount()
        let devices = try await account.client.devices(forceRefresh: true)
        XCTAssertTrue(devices.devices.isEmpty)
    }
}

private func isRequesting(_ state: ResetState) -> Bool {
    if case .requesting = state { return true }
    return false
}
