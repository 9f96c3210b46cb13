import Foundation
import XCTest
@testable import HcCore

/// The vendor flow's two notes: the device is not added, and the device is added by others.
final class VendorNotesTests: XCTestCase {
    func testDeviceOfAnotherAccountShowsAddedByOthersThenNotAddedOnceRemoved() async throws {
        let device = Rig.deviceB
        let other = try await Rig.newAccount()
        _ = try await other.client.addDevice(serial: device.serial, labelCode: device.labelCode, name: nil)
        let bound = try await device.sync()
        XCTAssertTrue(bound)
        let qrText = try await device.startHikConnect()

        let me = try await Rig.newAccount()
        do {
            _ = try await me.client.addDevice(serial: device.serial, labelCode: device.labelCode, name: "Not mine")
            XCTFail("added a device of another account")
        } catch HcError.DeviceAddedByOthers(let serial) {
            XCTAssertEqual(serial, device.serial)
        }

        // Only the cloud can tell "not in this account" from "another account has it": it says which.
        do {
            _ = try await me.client.requestResetCode(qrText: qrText)
            XCTFail("got a code for a device of another account")
        } catch HcError.DeviceAddedByOthers(let serial) {
            XCTAssertEqual(serial, device.serial)
        }

        let states = FlowStates()
        let flow = me.client.resetFlow(listener: states)
        flow.submitImage(bytes: try await device.qrPng())
        let end = try await states.next(where: isFinal)
        XCTAssertEqual(end, .failed(error: .DeviceAddedByOthers(serial: device.serial)))

        flow.cancel()
        XCTAssertEqual(flow.state(), .scanning(hint: nil))
        _ = try await states.next { $0 == .scanning(hint: nil) }

        // The other account removes it; the NVR, offline, still offers the QR: now it is "not added".
        try await other.client.removeDevice(serial: device.serial)
        do {
            _ = try await me.client.requestResetCode(qrText: try await device.startHikConnect())
            XCTFail("got a code for a device not added")
        } catch HcError.DeviceNotAdded(let serial) {
            XCTAssertEqual(serial, device.serial)
        }
    }

    func testDeviceGivenAwayWhileThePhonesListIsStaleIsAddedByOthers() async throws {
        let device = Rig.deviceC
        let me = try await Rig.newAccount()
        _ = try await me.client.addDevice(serial: device.serial, labelCode: device.labelCode, name: "Old NVR")
        let mine = try await me.client.devices(forceRefresh: true)
        XCTAssertEqual(mine.devices.map(\.serial), [device.serial])

        // On another phone of the same account, the device is removed; its new owner adds it.
        let otherPhone = try Rig.client()
        try await otherPhone.login(email: me.email, password: me.password)
        try await otherPhone.removeDevice(serial: device.serial)
        let newOwner = try await Rig.newAccount()
        _ = try await newOwner.client.addDevice(serial: device.serial, labelCode: device.labelCode, name: nil)
        let bound = try await device.sync()
        XCTAssertTrue(bound)
        _ = try await device.startHikConnect()

        // This phone still lists the device (fresh cache), so the cloud decides: added by others.
        let cached = try await me.client.devices(forceRefresh: false)
        XCTAssertTrue(cached.fromCache)
        XCTAssertEqual(cached.devices.map(\.serial), [device.serial])
        let states = FlowStates()
        let flow = me.client.resetFlow(listener: states)
        flow.submitImage(bytes: try await device.qrPng())
        let end = try await states.next(where: isFinal)
        XCTAssertEqual(end, .failed(error: .DeviceAddedByOthers(serial: device.serial)))

        // Retrying asks the cloud again with the same QR: same answer.
        flow.retry()
        _ = try await states.next { if case .requesting = $0 { return true } else { return false } }
        let again = try await states.next(where: isFinal)
        XCTAssertEqual(again, .failed(error: .DeviceAddedByOthers(serial: device.serial)))
    }
}
