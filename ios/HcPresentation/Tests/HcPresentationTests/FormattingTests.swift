import XCTest
import HcCore
@testable import HcPresentation

/// The screens show the core's numbers (grouping, countdown, list age) in their own words.
final class FormattingTests: XCTestCase {
    func testTheCodeScreenGroupsTheCodeAsTheCoreDoes() {
        XCTAssertEqual(groupCode(code: "60784413"), "6078 4413")
        XCTAssertEqual(groupCode(code: "123"), "123")
    }

    func testTheCountdownLineShowsTheCoresTimeLeftUntilTheCodeHasExpired() {
        XCTAssertEqual(countdownMessage(countdown(expiresAtUnix: 1_000_061, nowUnix: 1_000_000)), UiMessage(.codeValidFor, "1:01"))
        XCTAssertEqual(countdownMessage(countdown(expiresAtUnix: 1_003_600, nowUnix: 1_000_000)), UiMessage(.codeValidFor, "1:00:00"))
        XCTAssertEqual(countdownMessage(countdown(expiresAtUnix: 1_000_000, nowUnix: 1_000_000)), UiMessage(.codeExpired))
        XCTAssertEqual(countdownMessage(countdown(expiresAtUnix: 1_000_000, nowUnix: 1_000_100)), UiMessage(.codeExpired))
    }

    func testEachDeviceListAgeTheCoreGivesHasItsMessage() {
        XCTAssertEqual(DeviceListAge.justNow.uiMessage, UiMessage(.devicesUpdatedJustNow))
        XCTAssertEqual(DeviceListAge.minutes(count: 5).uiMessage, UiMessage(.devicesUpdatedMinutesAgo, "5"))
        XCTAssertEqual(DeviceListAge.hours(count: 2).uiMessage, UiMessage(.devicesUpdatedHoursAgo, "2"))
        XCTAssertEqual(DeviceListAge.days(count: 3).uiMessage, UiMessage(.devicesUpdatedDaysAgo, "3"))
    }

    func testTheCacheAgeIsInWholeMinutesHoursOrDays() {
        let t: Int64 = 1_700_000_000
        XCTAssertEqual(cacheAgeMessage(fetchedAtUnix: t, nowUnix: t + 59), UiMessage(.devicesUpdatedJustNow))
        XCTAssertEqual(cacheAgeMessage(fetchedAtUnix: t, nowUnix: t + 60), UiMessage(.devicesUpdatedMinutesAgo, "1"))
        XCTAssertEqual(cacheAgeMessage(fetchedAtUnix: t, nowUnix: t + 3599), UiMessage(.devicesUpdatedMinutesAgo, "59"))
        XCTAssertEqual(cacheAgeMessage(fetchedAtUnix: t, nowUnix: t + 7300), UiMessage(.devicesUpdatedHoursAgo, "2"))
        XCTAssertEqual(cacheAgeMessage(fetchedAtUnix: t, nowUnix: t + 3 * 86_400), UiMessage(.devicesUpdatedDaysAgo, "3"))
        // A phone clock behind the server's: never "in the future".
        XCTAssertEqual(cacheAgeMessage(fetchedAtUnix: t, nowUnix: t - 100), UiMessage(.devicesUpdatedJustNow))
    }
}
