import XCTest
@testable import HcPresentation

final class FormattingTests: XCTestCase {
    func testCodesAreGroupedByFourForReadingAloud() {
        XCTAssertEqual(groupCode("60784413"), "6078 4413")
        XCTAssertEqual(groupCode("00000001"), "0000 0001")
        XCTAssertEqual(groupCode("123"), "123")
    }

    func testTheCountdownReadsMinutesAndSeconds() {
        XCTAssertEqual(countdownText(600), "10:00")
        XCTAssertEqual(countdownText(599), "9:59")
        XCTAssertEqual(countdownText(5), "0:05")
        XCTAssertEqual(countdownText(-3), "0:00")
        XCTAssertEqual(countdownText(3600), "1:00:00")
        XCTAssertEqual(countdownMessage(expiresAtUnix: 1_000_061, nowUnix: 1_000_000), UiMessage(.codeValidFor, "1:01"))
        XCTAssertEqual(countdownMessage(expiresAtUnix: 1_000_000, nowUnix: 1_000_000), UiMessage(.codeExpired))
        XCTAssertEqual(countdownMessage(expiresAtUnix: 1_000_000, nowUnix: 1_000_100), UiMessage(.codeExpired))
    }

    func testTheCacheAgeIsInWholeMinutesHoursOrDays() {
        let t: Int64 = 1_700_000_000
        XCTAssertEqual(cacheAgeMessage(fetchedAtUnix: t, nowUnix: t + 59), UiMessage(.devicesUpdatedJustNow))
        XCTAssertEqual(cacheAgeMessage(fetchedAtUnix: t, nowUnix: t + 60), UiMessage(.devicesUpdatedMinutesAgo, "1"))
        XCTAssertEqual(cacheAgeMessage(fetchedAtUnix: t, nowUnix: t + 3599), UiMessage(.devicesUpdatedMinutesAgo, "59"))
        XCTAssertEqual(cacheAgeMessage(fetchedAtUnix: t, nowUnix: t + 7300), UiMessage(.devicesUpdatedHoursAgo, "2"))
        XCTAssertEqual(cacheAgeMessage(fetchedAtUnix: t, nowUnix: t + 3 * 86_400), UiMessage(.devicesUpdatedDaysAgo, "3"))
        XCTAssertEqual(cacheAgeMessage(fetchedAtUnix: t, nowUnix: t - 100), UiMessage(.devicesUpdatedJustNow))
    }

    func testTypedSerialsAndLabelCodesAreNormalized() {
        XCTAssertEqual(AddDeviceModel.normalize(" ds12 345-67 "), "DS1234567")
    }
}
