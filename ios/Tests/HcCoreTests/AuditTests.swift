import Foundation
import XCTest
@testable import HcCore

/// The owner's audit lists every attempt on their devices, other accounts' too, masked.
final class AuditTests: XCTestCase {
    func testAnotherAccountAsksForACodeForMyNvrAndMyAuditShowsItMasked() async throws {
        let device = Rig.deviceF
        let me = try await Rig.newAccount()
        _ = try await me.client.addDevice(serial: device.serial, labelCode: device.labelCode, name: "Shop NVR")
        let bound = try await device.sync()
        XCTAssertTrue(bound)

        // The installer, logged in to their own account, scans the NVR's QR code: refused.
        let installer = try await Rig.newAccount()
        do {
            _ = try await installer.client.requestResetCode(qrText: try await device.startHikConnect())
            XCTFail("got a code for a device of another account")
        } catch HcError.DeviceAddedByOthers(let serial) {
            XCTAssertEqual(serial, device.serial)
        }

        // My audit shows the attempt in words, the other account masked; never its address.
        let attempt = try await me.client.auditEvents()[0]
        let masked = "us***@example.test"
        XCTAssertEqual(attempt.actor, .otherAccount(maskedEmail: masked))
        XCTAssertEqual(attempt.message, UiMessage(id: .auditOtherAccountRefused, args: [masked, device.serial]))
        XCTAssertEqual(attempt.serial, device.serial)
        XCTAssertNil(attempt.clientAddr)
        XCTAssertFalse(attempt.message.args.contains(installer.email))

        // The installer's own log keeps what it had: its refusal, as its own, with its address.
        let theirs = try await installer.client.auditPage(before: nil, limit: 10)
        XCTAssertEqual(theirs.events.map(\.actor), [.you])
        XCTAssertEqual(theirs.events.map(\.message), [UiMessage(id: .auditDeviceAddedByOthers, args: [device.serial])])
        XCTAssertNotNil(theirs.events.first?.clientAddr)
        XCTAssertNil(theirs.nextBefore)
    }
}
