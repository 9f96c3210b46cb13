import Foundation
import XCTest
import HcCore
import HcTestKit
@testable import HcPresentation

/// The owner's security feed and moving a device between accounts (DESIGN.md section 9), driven by
/// the real core against the real cloud and simulated NVRs. Every account here is "ui-…@example.test",
/// which other accounts see masked as `masked`.
final class FeedAndTransfersTests: XCTestCase {
    private let masked = "ui***@example.test"

    private func settled(_ model: ResetPasswordModel) async throws -> ResetScreen {
        try await model.screen.waitFor {
            if case .failed = $0 { return true }
            if case .code = $0 { return true }
            return false
        }
    }

    func testAnotherAccountAsksForACodeForMyNvrMyFeedShowsItAsItHappens() async throws {
        let device = TestDevice("G")
        let me = try await Rig.newAccount()
        _ = try await me.client.addDevice(serial: device.serial, labelCode: device.labelCode, name: "Shop NVR")
        let bound = try await device.sync()
        XCTAssertTrue(bound)
        let feed = SecurityFeedModel(client: me.client)
        feed.open()
        XCTAssertTrue(feed.screen.value.live)
        // What happened before the screen opened is listed too.
        let before = try await me.client.feedPage(after: nil, waitSecs: 0).events.count
        _ = try await feed.screen.waitFor { $0.events.count == before }

        // The installer, logged in to their own account, scans my NVR's QR code: refused, and my feed
        // says so while the screen is open, newest on top, masked.
        let qr = try await device.startHikConnect()
        let installer = try await Rig.newAccount()
        let refused = ResetPasswordModel(client: installer.client)
        refused.submitText(qr)
        guard case .failed = try await settled(refused) else { return XCTFail("\(refused.screen.value)") }
        refused.close()
        let attempted = try await feed.screen.waitFor { $0.events.count > before }
        let attempt = try XCTUnwrap(attempted.events.first)
        XCTAssertEqual(attempt.message, msg(.feedResetAttemptRefused, masked, device.serial))
        XCTAssertFalse(attempt.message.args.contains(installer.email))

        // Then I get a code myself: it is on top of the attempt.
        _ = try await me.client.requestResetCode(qrText: try await device.startHikConnect())
        let issued = try await feed.screen.waitFor { $0.events.count > before + 1 }
        XCTAssertEqual(issued.events.first?.message, msg(.feedResetCodeIssued, device.serial))
        XCTAssertEqual(issued.events.map(\.id), issued.events.map(\.id).sorted(by: >))

        // Leaving the screen stops the stream; coming back resumes after the newest event shown.
        feed.close()
        XCTAssertFalse(feed.screen.value.live)
        try await Rig.client().login(email: me.email, password: me.password)
        feed.open()
        let again = try await feed.screen.waitFor { $0.events.count > before + 2 }
        XCTAssertEqual(again.events.first?.message.id, .feedNewLogin)
        XCTAssertEqual(Set(again.events.map(\.id)).count, again.events.count, "nothing twice")
        feed.close()
    }

    func testTheNvrWasAddedByTheInstallerTheNoteOffersTheTransferTheInstallerApprovesAndItIsMine() async throws {
        let device = TestDevice("H")
        let installer = try await Rig.newAccount()
        _ = try await installer.client.addDevice(serial: device.serial, labelCode: device.labelCode, name: "Installed for the shop")
        let bound = try await device.sync()
        XCTAssertTrue(bound)
        let me = try await Rig.newAccount()
        let myFeed = SecurityFeedModel(client: me.client)
        myFeed.open()

        // At the NVR, More > Reset Device Password: the vendor's note, and under it the way out.
        let reset = ResetPasswordModel(client: me.client)
        reset.submitText(try await device.startHikConnect())
        let note = try await settled(reset)
        guard case let .failed(_, message, action) = note else { return XCTFail("\(note)") }
        XCTAssertEqual(message, msg(.errorDeviceAddedByOthers, device.serial))
        XCTAssertEqual(action, .contactOwner)
        XCTAssertEqual(note.hint, msg(.hintRequestTransfer, device.serial))
        XCTAssertEqual(note.transferSerial, device.serial)
        reset.close()
        // Adding it with its label code says the same, with the same offer.
        let add = AddDeviceModel(client: me.client)
        await add.add(serial: device.serial, labelCode: device.labelCode, name: nil)
        XCTAssertEqual(add.screen.value.error, msg(.errorDeviceAddedByOthers, device.serial))
        XCTAssertEqual(add.screen.value.transferSerial, device.serial)

        // "Ask for this device": a fresh QR code off the NVR's screen and the label code.
        let clock = FakeClock()
        let ask = RequestTransferModel(client: me.client, clock: clock, serial: note.transferSerial)
        XCTAssertEqual(ask.screen.value, .form(serial: device.serial))
        try await device.startHikConnect()
        await ask.request(image: try await device.qrPng(), labelCode: device.labelCode.lowercased())
        guard case let .requested(requested) = ask.screen.value else { return XCTFail("\(ask.screen.value)") }
        XCTAssertEqual(requested.transfer.state, .open)
        XCTAssertEqual(requested.message.id, .transferOutgoingOpen)
        XCTAssertEqual([requested.message.args[0], requested.message.args[2]], [device.serial, masked])
        XCTAssertFalse(requested.canDecide, "the new owner waits; only the current owner decides")

        // My pending request counts down to the end of the waiting period.
        let mine = TransfersModel(client: me.client, clock: clock)
        await mine.refresh()
        let pending = try XCTUnwrap(mine.screen.value.rows.first)
        XCTAssertEqual(mine.screen.value.rows.count, 1)
        XCTAssertEqual(pending.transfer.id, requested.transfer.id)
        clock.set(pending.transfer.completesAtUnix - 3 * 3600 - 5); mine.tick()
        XCTAssertEqual(mine.screen.value.rows.first?.message, msg(.transferOutgoingOpen, device.serial, "3:00:05", masked))
        clock.set(pending.transfer.completesAtUnix - 5); mine.tick()
        XCTAssertEqual(mine.screen.value.rows.first?.countdown?.text, "0:05")
        XCTAssertTrue(mine.screen.value.awaitingMe.isEmpty)

        // The installer's phone: the request waits for an answer; Approve moves the NVR at once.
        let theirs = TransfersModel(client: installer.client)
        await theirs.refresh()
        XCTAssertEqual(theirs.screen.value.awaitingMe.count, 1)
        let incoming = try XCTUnwrap(theirs.screen.value.awaitingMe.first)
        XCTAssertEqual(incoming.message.id, .transferIncomingOpen)
        XCTAssertEqual([incoming.message.args[0], incoming.message.args[2]], [device.serial, masked])
        await theirs.approve(id: incoming.transfer.id)
        let approved = try XCTUnwrap(theirs.screen.value.rows.first)
        XCTAssertEqual(approved.transfer.state, .approved)
        XCTAssertEqual(approved.message, msg(.feedTransferApproved, masked, device.serial))
        XCTAssertTrue(theirs.screen.value.awaitingMe.isEmpty && approved.countdown == nil)
        theirs.close()

        // My feed heard both steps; the NVR is in my list.
        let feed = try await myFeed.screen.waitFor { $0.events.contains { $0.message.id == .feedTransferApproved } }
        XCTAssertEqual(feed.events.filter { $0.transferId == incoming.transfer.id }.map(\.message),
                       [msg(.feedTransferApproved, masked, device.serial), msg(.feedTransferRequested, masked, device.serial)])
        myFeed.close()
        await mine.onFeedEvent(try XCTUnwrap(feed.events.first))
        XCTAssertEqual(mine.screen.value.rows.first?.message, msg(.feedTransferApproved, masked, device.serial))
        mine.close()
        let devices = DeviceListModel(client: me.client)
        await devices.refresh(force: true)
        XCTAssertEqual(devices.screen.value.devices.map(\.serial), [device.serial])

        // Once the NVR has synced, its Reset Device Password gives me the code it accepts.
        let synced = try await device.sync()
        XCTAssertTrue(synced)
        let mineNow = ResetPasswordModel(client: me.client)
        mineNow.submitText(try await device.startHikConnect())
        guard case let .code(code) = try await settled(mineNow) else { return XCTFail("\(mineNow.screen.value)") }
        let accepted = try await device.verify(code: code.code)
        XCTAssertTrue(accepted.ok, "the NVR refused \(code.code): \(accepted)")
        mineNow.close()
    }

    func testSomeoneAtMyNvrAsksForItIRefuseItStaysMineAndTheyCannotAskAgain() async throws {
        let device = TestDevice("I")
        let me = try await Rig.newAccount()
        _ = try await me.client.addDevice(serial: device.serial, labelCode: device.labelCode, name: "Home NVR")
        let bound = try await device.sync()
        XCTAssertTrue(bound)
        let feed = SecurityFeedModel(client: me.client)
        let transfers = TransfersModel(client: me.client)
        await transfers.refresh()
        XCTAssertTrue(transfers.screen.value.empty)
        feed.open()

        let stranger = try await Rig.newAccount()
        try await device.startHikConnect()
        let ask = RequestTransferModel(client: stranger.client)
        await ask.request(image: try await device.qrPng(), labelCode: device.labelCode)
        guard case .requested = ask.screen.value else { return XCTFail("\(ask.screen.value)") }

        // My feed hears the request as it happens; the transfers screen follows it.
        let heard = try await feed.screen.waitFor { $0.events.contains { $0.message.id == .feedTransferRequested } }
        let request = try XCTUnwrap(heard.events.first { $0.message.id == .feedTransferRequested })
        XCTAssertEqual(request.message, msg(.feedTransferRequested, masked, device.serial))
        await transfers.onFeedEvent(request)
        let waiting = try XCTUnwrap(transfers.screen.value.awaitingMe.first)
        XCTAssertEqual(waiting.transfer.id, request.transferId)
        await transfers.refuse(id: waiting.transfer.id)
        let refused = try XCTUnwrap(transfers.screen.value.rows.first)
        XCTAssertEqual(refused.message, msg(.feedTransferRefused, masked, device.serial))
        XCTAssertFalse(refused.canDecide)
        _ = try await feed.screen.waitFor { $0.events.contains { $0.message.id == .feedTransferRefused } }
        feed.close()
        transfers.close()

        // The stranger's own list says refused; asking again with a fresh QR is turned down.
        let theirs = TransfersModel(client: stranger.client)
        await theirs.refresh()
        XCTAssertEqual(theirs.screen.value.rows.first?.message, msg(.feedTransferRefused, masked, device.serial))
        theirs.close()
        ask.again()
        try await device.startHikConnect()
        await ask.request(image: try await device.qrPng(), labelCode: device.labelCode)
        guard case let .failed(message, _, _) = ask.screen.value else { return XCTFail("\(ask.screen.value)") }
        XCTAssertEqual(message, msg(.errorTransferRefusedRecently))
        let devices = DeviceListModel(client: me.client)
        await devices.refresh(force: true)
        XCTAssertEqual(devices.screen.value.devices.map(\.serial), [device.serial])
    }

    func testSomethingElsesQrCodeOrNoPictureIsSaidPlainlyOnTheRequestScreen() async throws {
        let stranger = try await Rig.newAccount()
        let ask = RequestTransferModel(client: stranger.client)
        await ask.request(qrText: "https://example.com/menu", labelCode: "ABCDEF")
        guard case let .failed(message, _, _) = ask.screen.value else { return XCTFail("\(ask.screen.value)") }
        XCTAssertEqual(message, msg(.errorNotAResetQr))
        await ask.request(image: Data(), labelCode: "ABCDEF")
        guard case .failed = ask.screen.value else { return XCTFail("\(ask.screen.value)") }
        ask.again()
        XCTAssertEqual(ask.screen.value, .form(serial: nil))
    }

    func testWithoutASessionTheFeedSaysToLogIn() async throws {
        let feed = SecurityFeedModel(client: try Rig.client())
        await feed.open().value
        XCTAssertEqual(feed.screen.value.error, msg(.errorNotLoggedIn))
        XCTAssertEqual(feed.screen.value.errorAction, .logIn)
        XCTAssertFalse(feed.screen.value.live)
    }
}
