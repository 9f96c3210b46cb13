#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HcCore

/// The clock the screens read (seconds since the epoch); tests pass their own.
public protocol Clock: Sendable {
    func nowUnix() -> Int64
}

public struct SystemClock: Clock {
    public init() {}
    public func nowUnix() -> Int64 { Int64(time(nil)) }
}

// The numbers and their format come from the core (HcCore's groupCode, countdown, deviceListAge);
// here they only become messages, whose words are in Localizable.strings.

/// The countdown line of the code screen: "Valid for 9:59", or "This code has expired".
public func countdownMessage(_ countdown: Countdown) -> UiMessage {
    countdown.expired ? UiMessage(.codeExpired) : UiMessage(.codeValidFor, countdown.text)
}

extension DeviceListAge {
    /// "Updated 5 min ago" for the core's age of the device list.
    public var uiMessage: UiMessage {
        switch self {
        case .justNow: return UiMessage(.devicesUpdatedJustNow)
        case let .minutes(count): return UiMessage(.devicesUpdatedMinutesAgo, count)
        case let .hours(count): return UiMessage(.devicesUpdatedHoursAgo, count)
        case let .days(count): return UiMessage(.devicesUpdatedDaysAgo, count)
        }
    }
}

/// "Updated 5 min ago" for a device list fetched at `fetchedAtUnix`.
public func cacheAgeMessage(fetchedAtUnix: Int64, nowUnix: Int64) -> UiMessage {
    deviceListAge(fetchedAtUnix: fetchedAtUnix, nowUnix: nowUnix).uiMessage
}
