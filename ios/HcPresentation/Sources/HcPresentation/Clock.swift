import Foundation

/// The clock the screens read (milliseconds since the epoch); tests pass their own.
public protocol Clock: Sendable {
    func nowMillis() -> Int64
}

extension Clock {
    /// Whole seconds since the epoch.
    public func nowUnix() -> Int64 { nowMillis() / 1000 }
}

public struct SystemClock: Clock {
    public init() {}
    public func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}
