#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The clock the screens read (seconds since the epoch); tests pass their own.
public protocol Clock: Sendable {
    func nowUnix() -> Int64
}

public struct SystemClock: Clock {
    public init() {}
    public func nowUnix() -> Int64 { Int64(time(nil)) }
}

/// The verification code in groups of four, for reading aloud: "60784413" -> "6078 4413".
public func groupCode(_ code: String, groupSize: Int = 4) -> String {
    var groups: [Substring] = []
    var rest = Substring(code)
    while !rest.isEmpty {
        groups.append(rest.prefix(groupSize))
        rest = rest.dropFirst(groupSize)
    }
    return groups.joined(separator: " ")
}

/// Seconds left until `expiresAtUnix`, never negative.
public func secondsLeft(expiresAtUnix: Int64, nowUnix: Int64) -> Int64 { max(0, expiresAtUnix - nowUnix) }

private func twoDigits(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }

/// A countdown as m:ss ("9:59", "0:05"); from an hour on, h:mm:ss.
public func countdownText(_ seconds: Int64) -> String {
    let s = max(0, seconds)
    let h = s / 3600, m = (s % 3600) / 60, sec = s % 60
    return h > 0 ? "\(h):\(twoDigits(m)):\(twoDigits(sec))" : "\(m):\(twoDigits(sec))"
}

/// The countdown line of the code screen.
public func countdownMessage(expiresAtUnix: Int64, nowUnix: Int64) -> UiMessage {
    let left = secondsLeft(expiresAtUnix: expiresAtUnix, nowUnix: nowUnix)
    return left == 0 ? UiMessage(.codeExpired) : UiMessage(.codeValidFor, countdownText(left))
}

/// "Updated 5 min ago" for a device list fetched at `fetchedAtUnix`.
public func cacheAgeMessage(fetchedAtUnix: Int64, nowUnix: Int64) -> UiMessage {
    let age = max(0, nowUnix - fetchedAtUnix)
    switch age {
    case ..<60: return UiMessage(.devicesUpdatedJustNow)
    case ..<3600: return UiMessage(.devicesUpdatedMinutesAgo, age / 60)
    case ..<86_400: return UiMessage(.devicesUpdatedHoursAgo, age / 3600)
    default: return UiMessage(.devicesUpdatedDaysAgo, age / 86_400)
    }
}
