import Foundation
import XCTest
import HcCore
import HcTestKit
@testable import HcPresentation

/// The screens driven by the real core against the real cloud and simulated NVRs.
final class ScreensTests: XCTestCase {
    func testScanningTheNvrQrWithTheCameraSaysTooDarkInADarkRoomThenShowsTheGroupedCodeAndItsCountdown() async throws {
        let device = TestDevice("A")
        let me = try await Rig.newAccount()
        _ = try await me.client.addDevice(serial: device.serial, labelCode: device.labelCode, name: "Shop NVR")
        let bound = try await device.sync()
        XCTAssertTrue(bound)
        try await device.startHikConnect()
        let clock = FakeClock()
        let model = ResetPasswordModel(client: me.client, clock: clock)
        defer { model.close() }
        XCTAssertEqual(model.screen.value, .scanning(hint: msg(.scanHint)))
        XCTAssertTrue(model.wantsFrames)

        // Pointed at the device in an unlit room: the scanner says why it cannot read, and keeps looking.
        let modules = try await device.qrModules()
        let lit = modules.frame(format: .luma8)
        model.submitFrame(Frame(width: lit.width, height: lit.height, rowStride: lit.rowStride, format: lit.format,
                                bytes: Data(repeating: 4, count: lit.bytes.count), rotationDegrees: lit.rotationDegrees))
        let dark = try await model.screen.waitFor { $0 != .scanning(hint: msg(.scanHint)) }
        XCTAssertEqual(dark, .scanning(hint: msg(.scanHintTooDark)))
        XCTAssertTrue(model.wantsFrames)

        // The capture delegate: plane 0 of the NVR's QR on the monitor, sensor rotated, rows padded.
        model.submitFrame(cameraFrame(modules: modules, rotation: 90))
        let screen = try await model.screen.waitFor { if case .code = $0 { return true }; if case .failed = $0 { return true }; return false }
        guard case let .code(code) = screen else { return XCTFail("\(screen)") }
        XCTAssertEqual(code.serial, device.serial)
        XCTAssertEqual(code.code.count, 8)
        XCTAssertEqual(code.groupedCode, "\(code.code.prefix(4)) \(code.code.suffix(4))")
        XCTAssertEqual(code.instructions, msg(.codeInstructions))
        XCTAssertFalse(model.wantsFrames)

        func countdown() -> Code? { if case let .code(c) = model.screen.value { return c }; return nil }
        clock.set(code.expiresAtUnix - 599); model.tick()
        XCTAssertEqual(countdown()?.countdown, msg(.codeValidFor, "9:59"))
        clock.set(code.expiresAtUnix - 5); model.tick()
        XCTAssertEqual(countdown()?.countdown, msg(.codeValidFor, "0:05"))
        clock.set(code.expiresAtUnix + 1); model.tick()
        XCTAssertEqual(countdown()?.countdown, msg(.codeExpired))
        XCTAssertEqual(countdown()?.expired, true)

        // The code the screen shows is the one the NVR accepts.
        let accepted = try await device.verify(code: code.code)
        XCTAssertTrue(accepted.ok, "the NVR refused \(code.code): \(accepted)")

        model.scanAgain()
        _ = try await model.screen.waitFor { if case .scanning = $0 { return true }; return false }
    }

    typealias Code = ResetPasswordModel.Code

    func testTheQrTextTypedByHandShowsTheCodeVibratesOnceAndKeepsTheScreenOnUntilItExpires() async throws {
        let device = TestDevice("D")
        let me = try await Rig.newAccount()
        _ = try await me.client.addDevice(serial: device.serial, labelCode: device.labelCode, name: nil)
        let bound = try await device.sync()
        XCTAssertTrue(bound)
        let qrText = try await device.startHikConnect()
        let clock = FakeClock()
        let haptics = CountingHaptics()
        let model = ResetPasswordModel(client: me.client, clock: clock, haptics: haptics)
        defer { model.close() }
        XCTAssertTrue(model.keepScreenOn.value, "the scanner keeps the display awake")

        // Typed as a person would: a line break where the device's page wraps it, partly in lower case.
        model.submitText(" \(qrText.prefix(40))\n\(qrText.dropFirst(40).lowercased()) ")
        let screen = try await model.screen.waitFor { if case .code = $0 { return true }; if case .failed = $0 { return true }; return false }
        guard case let .code(code) = screen else { return XCTFail("\(screen)") }
        XCTAssertEqual(code.serial, device.serial)
        XCTAssertEqual(haptics.vibrations, 1)
        XCTAssertTrue(model.keepScreenOn.value)
        // The countdown ticks; the code on screen buzzed once, however often it is drawn again.
        for second in 0..<3 { clock.set(code.expiresAtUnix - 10 + Int64(second)); model.tick() }
        XCTAssertEqual(haptics.vibrations, 1)
        clock.set(code.expiresAtUnix); model.tick()
        guard case let .code(expired) = model.screen.value else { return XCTFail("\(model.screen.value)") }
        XCTAssertEqual(expired.countdown, msg(.codeExpired))
        XCTAssertFalse(model.keepScreenOn.value, "an expired code lets the display sleep")
    }

    func testPinchingZoomsWithinTheCamerasRangeAndTappingFocusesThereUntilTheCameraHasFocused() throws {
        let model = ResetPasswordModel(client: try Rig.client())
        defer { model.close() }
        XCTAssertNil(model.viewfinder.value, "no zoom before the camera opened")
        XCTAssertNil(model.tapped(x: 0.5, y: 0.5))
        model.cameraOpened(minZoom: 0.6, maxZoom: 10)
        XCTAssertEqual(model.viewfinder.value?.zoom, 1)
        model.pinched(2); model.pinched(1.5)
        XCTAssertEqual(model.viewfinder.value?.zoom, 3)
        model.pinched(100)
        XCTAssertEqual(model.viewfinder.value?.zoom, 10, "the zoom stops at the camera's limit")
        model.pinched(0.001)
        XCTAssertEqual(model.viewfinder.value?.zoom, 0.6)

        let first = try XCTUnwrap(model.tapped(x: 0.25, y: 0.75))
        XCTAssertEqual([first.x, first.y], [0.25, 0.75])
        let second = try XCTUnwrap(model.tapped(x: 1.5, y: 0.5))
        XCTAssertEqual(second.x, 1, "a tap is kept inside the preview")
        model.focused(tap: first.tap)
        XCTAssertEqual(model.viewfinder.value?.focus, second, "an earlier tap's answer leaves the new ring")
        model.focused(tap: second.tap)
        XCTAssertNil(model.viewfinder.value?.focus)
    }

    func testRemovingADeviceAsksFirstAndCancelKeepsIt() async throws {
        let device = TestDevice("E")
        let me = try await Rig.newAccount()
        _ = try await me.client.addDevice(serial: device.serial, labelCode: device.labelCode, name: "Back office")
        let devices = DeviceListModel(client: me.client)
        await devices.refresh(force: true)
        devices.askToRemove(serial: device.serial)
        XCTAssertEqual(devices.screen.value.confirmRemoval?.name, "Back office")
        devices.cancelRemoval()
        XCTAssertNil(devices.screen.value.confirmRemoval)
        await devices.refresh(force: true)
        XCTAssertEqual(devices.screen.value.devices.map(\.serial), [device.serial])

        devices.askToRemove(serial: device.serial)
        await devices.confirmRemoval()
        XCTAssertEqual(devices.screen.value.devices, [])
        XCTAssertEqual(devices.screen.value.empty, msg(.devicesEmpty))
        // Nothing asked, nothing removed.
        await devices.confirmRemoval()
        XCTAssertNil(devices.screen.value.error)
    }

    func testADeviceNotInMyAccountShowsTheNotAddedNoteAndAddingItShowsTheAddedByOthersNote() async throws {
        // Added, seen by the NVR, then removed from the account while the NVR was offline: the NVR
        // still offers Verify by Hik-Connect, the account no longer has the device.
        let device = TestDevice("B")
        let me = try await Rig.newAccount()
        _ = try await me.client.addDevice(serial: device.serial, labelCode: device.labelCode, name: nil)
        let bound = try await device.sync()
        XCTAssertTrue(bound)
        try await device.startHikConnect()
        try await me.client.removeDevice(serial: device.serial)

        let model = ResetPasswordModel(client: me.client)
        defer { model.close() }
        model.submitImage(try await device.qrPng())  // "pick a photo": a screenshot of the NVR screen
        let screen = try await model.screen.waitFor { if case .failed = $0 { return true }; if case .code = $0 { return true }; return false }
        guard case let .failed(_, message, action) = screen else { return XCTFail("\(screen)") }
        XCTAssertEqual(message, msg(.errorDeviceNotAdded, device.serial))
        XCTAssertEqual(action, .addDevice)

        // Meanwhile someone else adds it; adding it now: the vendor's other note.
        _ = try await Rig.newAccount().client.addDevice(serial: device.serial, labelCode: device.labelCode, name: nil)
        let add = AddDeviceModel(client: me.client)
        await add.add(serial: device.serial.lowercased(), labelCode: device.labelCode, name: "Not mine")
        XCTAssertEqual(add.screen.value.error, msg(.errorDeviceAddedByOthers, device.serial))
        XCTAssertEqual(add.screen.value.errorAction, .contactOwner)
    }

    func testADeviceGivenAwayWhileMyListIsStaleShowsTheAddedByOthersNote() async throws {
        let device = TestDevice("C")
        let me = try await Rig.newAccount()
        // Typed with spaces, dashes and in lower case: the core adds it as printed on the label.
        let add = AddDeviceModel(client: me.client)
        let typed = " " + stride(from: 0, to: device.serial.count, by: 4).map { start in
            String(device.serial.lowercased().dropFirst(start).prefix(4))
        }.joined(separator: " - ")
        await add.add(serial: typed, labelCode: device.labelCode.lowercased(), name: " Old NVR ")
        XCTAssertEqual(add.screen.value, AccountScreen(loggedIn: true, done: msg(.deviceAdded, device.serial)))
        let devices = DeviceListModel(client: me.client)
        await devices.refresh(force: true)
        XCTAssertEqual(devices.screen.value.devices.map { [$0.serial, $0.name] }, [[device.serial, "Old NVR"]])

        let otherPhone = try Rig.client()
        try await otherPhone.login(email: me.email, password: me.password)
        try await otherPhone.removeDevice(serial: device.serial)
        _ = try await Rig.newAccount().client.addDevice(serial: device.serial, labelCode: device.labelCode, name: nil)
        let bound = try await device.sync()
        XCTAssertTrue(bound)
        try await device.startHikConnect()

        let model = ResetPasswordModel(client: me.client)
        defer { model.close() }
        model.submitImage(try await device.qrPng())
        let screen = try await model.screen.waitFor { if case .failed = $0 { return true }; if case .code = $0 { return true }; return false }
        XCTAssertEqual(screen, .failed(error: .DeviceAddedByOthers(serial: device.serial),
                                       message: msg(.errorDeviceAddedByOthers, device.serial), action: .contactOwner))
    }

    func testAQrCodeOfSomethingElseSaysItIsNotAResetCode() async throws {
        let me = try await Rig.newAccount()
        let model = ResetPasswordModel(client: me.client)
        defer { model.close() }
        model.submitText("https://example.com/menu")
        let screen = try await model.screen.waitFor { if case .failed = $0 { return true }; return false }
        XCTAssertEqual(screen, .failed(error: .NotAResetQr, message: msg(.errorNotAResetQr), action: .scanAgain))
        model.scanAgain()
        _ = try await model.screen.waitFor { if case .scanning = $0 { return true }; return false }
        // Nothing typed is no code at all, not a wrong one.
        model.submitText(" ")
        let nothing = try await model.screen.waitFor { if case .failed = $0 { return true }; return false }
        XCTAssertEqual(nothing, .failed(error: .NoQrFound(hint: .noCode), message: msg(.scanHintNoCode), action: .scanAgain))
    }

    func testOfflineTheDeviceListIsTheCachedOneWithItsAge() async throws {
        let me = try await Rig.newAccount()
        let online = DeviceListModel(client: me.client)
        await online.refresh(force: true)
        let fresh = online.screen.value
        XCTAssertFalse(fresh.fromCache)
        XCTAssertNil(fresh.cacheAge)
        XCTAssertEqual(fresh.empty, msg(.devicesEmpty))
        let fetchedAt = try XCTUnwrap(fresh.fetchedAtUnix)

        // The next launch, with no network: same Keychain, the cloud out of reach.
        let offlineClient = try Rig.client(store: me.store.withCloudAt(Rig.env("HC_TEST_CLOUD_URL"), "http://127.0.0.1:9"),
                                           cloudUrl: "http://127.0.0.1:9")
        let clock = FakeClock(fetchedAt + 10 * 60 + 5)
        let offline = DeviceListModel(client: offlineClient, clock: clock)
        await offline.refresh(force: true)
        XCTAssertNil(offline.screen.value.error, "\(offline.screen.value)")
        XCTAssertTrue(offline.screen.value.fromCache)
        XCTAssertEqual(offline.screen.value.cacheAge, msg(.devicesUpdatedMinutesAgo, "10"))
        XCTAssertEqual(offline.screen.value.savedList, msg(.devicesSavedList), "the list says it is the one saved on this phone")
        clock.set(fetchedAt + 2 * 3600); offline.tick()
        XCTAssertEqual(offline.screen.value.cacheAge, msg(.devicesUpdatedHoursAgo, "2"))
        XCTAssertEqual(offline.screen.value.savedList, msg(.devicesSavedList))
        // Online again, served from the cache while fresh: nothing to warn about.
        let back = DeviceListModel(client: me.client)
        await back.refresh()
        XCTAssertTrue(back.screen.value.fromCache)
        XCTAssertNil(back.screen.value.savedList)
    }

    func testAWrongPasswordIsSaidPlainlyAndANewAccountLogsIn() async throws {
        let me = try await Rig.newAccount()
        let login = LoginModel(client: try Rig.client())
        XCTAssertFalse(login.screen.value.loggedIn)
        await login.login(email: me.email, password: "not-the-password")
        XCTAssertEqual(login.screen.value, AccountScreen(error: msg(.errorInvalidCredentials), errorAction: .correctInput))
        await login.login(email: " \(me.email) ", password: me.password)
        XCTAssertEqual(login.screen.value, AccountScreen(loggedIn: true))

        let register = LoginModel(client: try Rig.client())
        await register.register(email: "new-\(UUID().uuidString.lowercased())@example.test", password: "Another-Good-Pass-42")
        XCTAssertEqual(register.screen.value, AccountScreen(loggedIn: true))
        await register.register(email: me.email, password: "Another-Good-Pass-42")
        XCTAssertEqual(register.screen.value.error, msg(.errorEmailTaken))
    }

    func testALostPhoneIsLoggedOutByAPasswordChangeAndLogOutEverywhereEndsThisPhoneToo() async throws {
        let me = try await Rig.newAccount()
        let lostPhone = try Rig.client()
        try await lostPhone.login(email: me.email, password: me.password)
        _ = try await lostPhone.devices(forceRefresh: true)

        let security = AccountSecurityModel(client: me.client)
        await security.changePassword(current: "not-the-password", new: "Another-Good-Pass-42")
        XCTAssertEqual(security.screen.value.error, msg(.errorInvalidCredentials))
        await security.changePassword(current: me.password, new: "Another-Good-Pass-42")
        XCTAssertEqual(security.screen.value, AccountScreen(loggedIn: true, done: msg(.passwordChanged)))
        do {
            _ = try await lostPhone.devices(forceRefresh: true)
            XCTFail("the lost phone still works")
        } catch HcError.SessionExpired {}
        _ = try await me.client.devices(forceRefresh: true)  // this phone works on

        await security.logOutEverywhere()
        XCTAssertEqual(security.screen.value, AccountScreen(loggedIn: false, done: msg(.loggedOutEverywhere)))
        let login = LoginModel(client: try Rig.client())
        await login.login(email: me.email, password: me.password)
        XCTAssertEqual(login.screen.value.error, msg(.errorInvalidCredentials), "the old password is gone")
    }

    func testRegisteringStatesTheCoresPasswordRuleSaysLiveWhenItIsTooWeakOrTheTwoDifferThenLogsIn() async throws {
        let login = LoginModel(client: try Rig.client())
        XCTAssertEqual(login.passwordRule, passwordRuleMessage())
        XCTAssertEqual(login.passwordRule.id, .passwordRule)
        let email = "new-\(UUID().uuidString.lowercased())@example.test"
        XCTAssertNil(login.passwordProblem(email: email, password: "", passwordAgain: ""), "nothing typed, nothing said")
        XCTAssertEqual(login.passwordProblem(email: email, password: "short", passwordAgain: ""), msg(.errorPasswordTooShort))
        XCTAssertEqual(login.passwordProblem(email: email, password: "password123", passwordAgain: ""), msg(.errorPasswordCommon))
        XCTAssertNil(login.passwordProblem(email: email, password: "correct horse battery staple", passwordAgain: ""),
                     "the confirmation not typed yet")
        XCTAssertEqual(login.passwordProblem(email: email, password: "correct horse battery staple", passwordAgain: "correct horse"),
                       msg(.errorPasswordsDiffer))
        XCTAssertNil(login.passwordProblem(email: email, password: "correct horse battery staple",
                                           passwordAgain: "correct horse battery staple"))

        await login.register(email: email, password: "correct horse battery staple", passwordAgain: "correct horse battery stapel")
        XCTAssertEqual(login.screen.value.error, msg(.errorPasswordsDiffer))
        XCTAssertFalse(login.screen.value.loggedIn)
        await login.register(email: email, password: "correct horse battery staple", passwordAgain: "correct horse battery staple")
        XCTAssertEqual(login.screen.value, AccountScreen(loggedIn: true))
    }

    func testPointedAtTheNvrsAddressTheLoginScreenSaysTheSavedSessionIsAnotherCloudsAndTheAddressIsNotAnHcCloud() async throws {
        let store = MemoryStore()
        _ = try await registeredAccount(client: try Rig.client(store: store), store: store, prefix: "ui")
        let login = LoginModel(client: try Rig.client(store: store, cloudUrl: TestDevice("F").nvrUrl))
        let opening = login.screen.value
        XCTAssertFalse(opening.loggedIn)
        var cloud = Rig.env("HC_TEST_CLOUD_URL")
        while cloud.hasSuffix("/") { cloud.removeLast() }
        XCTAssertEqual(opening.error, msg(.errorSessionForOtherCloud, cloud))
        XCTAssertEqual(opening.errorAction, .logIn)

        await login.login(email: "someone@example.test", password: "correct horse battery staple")
        XCTAssertEqual(login.screen.value.error?.id, .errorNotAnHcCloud)
        XCTAssertFalse(login.screen.value.loggedIn)
        // Its own cloud still has the session.
        XCTAssertTrue(try Rig.client(store: store).isLoggedIn())
    }

    func testMyAccountActivityShowsAnotherAccountsAttemptMaskedAndShowOlderPagesBack() async throws {
        let device = TestDevice("F")
        let me = try await Rig.newAccount()
        _ = try await me.client.addDevice(serial: device.serial, labelCode: device.labelCode, name: "Shop NVR")
        let bound = try await device.sync()
        XCTAssertTrue(bound)
        let qr = try await device.startHikConnect()
        // The installer, logged in to their own account, scans the owner's NVR: refused.
        let installer = try await Rig.newAccount()
        do {
            _ = try await installer.client.requestResetCode(qrText: qr)
            XCTFail("another account got a code")
        } catch HcError.DeviceAddedByOthers {}
        // Then the owner gets a code, twice.
        for _ in 0..<2 { _ = try await me.client.requestResetCode(qrText: qr) }

        let audit = AuditModel(client: me.client, pageSize: 2)
        await audit.refresh()
        let first = audit.screen.value
        XCTAssertEqual(first.events.map(\.message), [msg(.auditIssued, device.serial), msg(.auditIssued, device.serial)])
        XCTAssertEqual(first.events.map(\.actor), [.you, .you])
        XCTAssertTrue(first.hasMore, "\(first)")

        await audit.more()
        let all = audit.screen.value
        XCTAssertEqual(all.events.count, 3, "\(all)")
        let attempt = try XCTUnwrap(all.events.last)
        let masked = "ui***@example.test"
        XCTAssertEqual(attempt.actor, .otherAccount(maskedEmail: masked))
        XCTAssertEqual(attempt.message, msg(.auditOtherAccountRefused, masked, device.serial))
        XCTAssertFalse(attempt.message.args.contains(installer.email))
        XCTAssertFalse(all.hasMore || all.empty || all.error != nil, "\(all)")
        await audit.more()  // nothing older: nothing happens
        XCTAssertEqual(audit.screen.value, all)
    }

    func testANewAccountsActivitySaysNothingIsRecorded() async throws {
        let audit = AuditModel(client: try await Rig.newAccount().client)
        await audit.refresh()
        XCTAssertEqual(audit.screen.value, AuditScreen(empty: true))
    }
}
