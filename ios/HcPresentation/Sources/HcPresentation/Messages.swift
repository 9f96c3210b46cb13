import HcCore

/// Every text the screens show that depends on state, as a key plus arguments. The words live in
/// the app's Localizable.strings (en, zh-Hans) under the same keys as Android's strings.xml; the
/// arguments are already formatted, so every placeholder is `%n$@`.
public enum MessageId: String, CaseIterable, Sendable {
    // HcError, one or more per variant
    case errorNotAResetQr = "error_not_a_reset_qr"
    case errorInvalidQr = "error_invalid_qr"
    /// The vendor's note: the device is not added to your account. Argument: serial.
    case errorDeviceNotAdded = "error_device_not_added"
    /// The vendor's note: the device has been added by another account. Argument: serial.
    case errorDeviceAddedByOthers = "error_device_added_by_others"
    case errorNotLoggedIn = "error_not_logged_in"
    case errorSessionExpired = "error_session_expired"
    case errorRateLimited = "error_rate_limited"
    case errorNetwork = "error_network"
    case errorServer = "error_server"
    case errorInvalidCredentials = "error_invalid_credentials"
    case errorEmailTaken = "error_email_taken"
    case errorWeakPassword = "error_weak_password"
    case errorInvalidEmail = "error_invalid_email"
    case errorInvalidSerial = "error_invalid_serial"
    case errorWrongLabelCode = "error_wrong_label_code"
    case errorAlreadyAdded = "error_already_added"
    case errorStorage = "error_storage"
    case errorInvalidFrame = "error_invalid_frame"
    // reset screen
    case scanHint = "scan_hint"
    case scanRecognized = "scan_recognized"
    case scanRequesting = "scan_requesting"
    case codeInstructions = "code_instructions"
    case codeValidFor = "code_valid_for"
    case codeExpired = "code_expired"
    // device list
    case devicesEmpty = "devices_empty"
    case devicesUpdatedJustNow = "devices_updated_just_now"
    case devicesUpdatedMinutesAgo = "devices_updated_minutes_ago"
    case devicesUpdatedHoursAgo = "devices_updated_hours_ago"
    case devicesUpdatedDaysAgo = "devices_updated_days_ago"
    case deviceAdded = "device_added"

    public var key: String { rawValue }

    public var argCount: Int {
        switch self {
        case .errorDeviceNotAdded, .errorDeviceAddedByOthers, .errorRateLimited, .errorServer, .codeValidFor,
             .devicesUpdatedMinutesAgo, .devicesUpdatedHoursAgo, .devicesUpdatedDaysAgo, .deviceAdded:
            return 1
        case .scanRecognized, .scanRequesting:
            return 2
        default:
            return 0
        }
    }
}

/// A message to show: the app looks `id.key` up and formats it with `args`.
public struct UiMessage: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let id: MessageId
    public let args: [String]

    public init(_ id: MessageId, _ args: CustomStringConvertible...) {
        precondition(args.count == id.argCount, "\(id.key) takes \(id.argCount) argument(s), got \(args.count)")
        self.id = id
        self.args = args.map { $0.description }
    }

    public var description: String { "\(id.key)\(args)" }
}

/// What the screen offers after a failure.
public enum FailureAction: Equatable, Sendable { case scanAgain, retry, addDevice, logIn }

extension HcError {
    /// The one mapping of core errors to messages. `detail` strings are for logs, never shown.
    public var uiMessage: UiMessage {
        switch self {
        case .NotAResetQr: return UiMessage(.errorNotAResetQr)
        case .InvalidQr: return UiMessage(.errorInvalidQr)
        case let .DeviceNotAdded(serial): return UiMessage(.errorDeviceNotAdded, serial)
        case let .DeviceAddedByOthers(serial): return UiMessage(.errorDeviceAddedByOthers, serial)
        case .NotLoggedIn: return UiMessage(.errorNotLoggedIn)
        case .SessionExpired: return UiMessage(.errorSessionExpired)
        case let .RateLimited(retryAfterSecs): return UiMessage(.errorRateLimited, retryAfterSecs)
        case .Network: return UiMessage(.errorNetwork)
        case let .Server(status, code, _):
            switch code {
            case "invalid_credentials": return UiMessage(.errorInvalidCredentials)
            case "email_taken": return UiMessage(.errorEmailTaken)
            case "weak_password": return UiMessage(.errorWeakPassword)
            case "invalid_email": return UiMessage(.errorInvalidEmail)
            case "invalid_serial": return UiMessage(.errorInvalidSerial)
            case "wrong_label_code": return UiMessage(.errorWrongLabelCode)
            case "already_added": return UiMessage(.errorAlreadyAdded)
            default: return UiMessage(.errorServer, status)
            }
        case .Storage: return UiMessage(.errorStorage)
        case .InvalidFrame: return UiMessage(.errorInvalidFrame)
        }
    }

    /// What the user can do about it.
    public var failureAction: FailureAction {
        switch self {
        case .NotAResetQr, .InvalidQr, .InvalidFrame, .DeviceAddedByOthers: return .scanAgain
        case .DeviceNotAdded: return .addDevice
        case .NotLoggedIn, .SessionExpired: return .logIn
        case .RateLimited, .Network, .Server, .Storage: return .retry
        }
    }
}

/// Any error thrown by a core call, as a message (a non-core error is not expected; shown as a network error).
func uiMessage(of error: Error) -> UiMessage {
    (error as? HcError)?.uiMessage ?? UiMessage(.errorNetwork)
}
