//! What the user reads: the core decides which message an error or a screen shows
//! ([`HcError::ui_message`]); here each message id gets the terminal's words, in English or in
//! Simplified Chinese (`HC_LANG`, else `LC_ALL` / `LC_MESSAGES` / `LANG` starting with `zh`). The
//! vendor's two notes (device not added; added by another account) stay close to the vendor's
//! wording because owners search for them.

use hc_core::{
    AuditEventInfo, DeviceListSnapshot, ErrorAction, ErrorCode, HcError, MessageId, UiMessage,
};

/// The terminal's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    /// From the environment: `HC_LANG` first, then the POSIX locale variables in their order.
    pub fn from_env() -> Lang {
        let chosen = ["HC_LANG", "LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|name| std::env::var(name).ok())
            .find(|value| !value.is_empty())
            .unwrap_or_default();
        if chosen.to_ascii_lowercase().starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }
}

/// The message for an error in the terminal's language, with the next step where there is one.
/// A transport or storage detail follows in brackets: on a desktop it helps fix the setup.
pub fn describe(error: &HcError) -> String {
    describe_in(Lang::from_env(), error)
}

pub fn describe_in(lang: Lang, error: &HcError) -> String {
    let text = wording(lang, &error.ui_message());
    match error {
        HcError::Network { detail }
        | HcError::Storage { detail }
        | HcError::InvalidFrame { detail }
        | HcError::NotAnHcCloud { detail, .. }
        | HcError::InvalidCloudAddress { detail, .. } => {
            format!("{text} ({detail})")
        }
        HcError::Server {
            status,
            code,
            detail,
        } if error.ui_message().id == MessageId::ErrorServer => {
            format!("{text} ({status} {code}: {detail})")
        }
        _ => text,
    }
}

/// A line only the CLI prints (a prompt, a confirmation, a table heading), in the terminal's
/// language: the apps' own texts come from message ids instead.
pub fn cli_words(en: &str, zh: &str) -> String {
    match Lang::from_env() {
        Lang::En => en.to_owned(),
        Lang::Zh => zh.to_owned(),
    }
}

/// A message in the terminal's language.
pub fn say(message: &UiMessage) -> String {
    wording(Lang::from_env(), message)
}

/// The words of each message id. Exhaustive: a new id fails to compile until it has both.
pub fn wording(lang: Lang, message: &UiMessage) -> String {
    let arg = |i: usize| message.args.get(i).map(String::as_str).unwrap_or("?");
    let zh = lang == Lang::Zh;
    match message.id {
        MessageId::ErrorNotAResetQr if zh => "这不是设备密码重置二维码。请在设备上选择“忘记密码 > 通过Hik-Connect验证”，然后扫描设备显示的二维码。".into(),
        MessageId::ErrorNotAResetQr => "This is not a Reset Device Password QR code. On the device, open \
             Forget Password > Verify by Hik-Connect and scan the code it shows."
            .into(),
        MessageId::ErrorInvalidQr if zh => "无法验证该二维码。请重新扫描设备屏幕上的二维码；如仍失败，请在设备上重新开始“通过Hik-Connect验证”。".into(),
        MessageId::ErrorInvalidQr => "The QR code could not be verified. Scan the code on the device's \
             own screen again; if it keeps failing, start Verify by Hik-Connect again on the device."
            .into(),
        MessageId::ErrorDeviceNotAdded if zh => format!(
            "设备未添加到您的账号（序列号 {0}）。请用 `hc add {0} 验证码` 添加，或登录添加该设备的账号。",
            arg(0)
        ),
        MessageId::ErrorDeviceNotAdded => format!(
            "The device is not added to your account (serial {0}). Add it with \
             `hc add {0} LABEL_CODE`, or log in to the account it was added to.",
            arg(0)
        ),
        MessageId::ErrorDeviceAddedByOthers if zh => format!(
            "设备已被其他账号添加（序列号 {}）。只有该账号才能重置其密码；请联系其所有者，或先在该账号中删除设备。",
            arg(0)
        ),
        MessageId::ErrorDeviceAddedByOthers => format!(
            "The device has been added by another account (serial {}). Only that account \
             can reset its password; ask its owner, or remove it there first.",
            arg(0)
        ),
        MessageId::ErrorNotLoggedIn if zh => "您尚未登录。请先运行 `hc login 邮箱`。".into(),
        MessageId::ErrorNotLoggedIn => "You are not logged in. Run `hc login EMAIL` first.".into(),
        MessageId::ErrorSessionExpired if zh => "登录已过期。请用 `hc login 邮箱` 重新登录。".into(),
        MessageId::ErrorSessionExpired => {
            "Your session has expired. Log in again with `hc login EMAIL`.".into()
        }
        MessageId::ErrorRateLimited if zh => format!("请求过于频繁。请在 {} 后重试。", seconds(lang, arg(0))),
        MessageId::ErrorRateLimited => {
            format!("Too many requests. Try again in {}.", seconds(lang, arg(0)))
        }
        MessageId::ErrorNetwork if zh => "无法连接云服务。请检查网络和云服务地址（--cloud 或 HC_CLOUD_URL）。".into(),
        MessageId::ErrorNetwork => "Cannot reach the cloud. Check the network and the cloud address \
             (--cloud or HC_CLOUD_URL)."
            .into(),
        MessageId::ErrorServer if zh => format!("云服务拒绝了该请求（错误 {}）。", arg(0)),
        MessageId::ErrorServer => format!("The cloud refused the request (error {}).", arg(0)),
        MessageId::ErrorInvalidCredentials if zh => "邮箱或密码错误。忘记密码？运行 hc forgot 邮箱地址。".into(),
        MessageId::ErrorInvalidCredentials => "Wrong email or password. Forgot it? hc forgot EMAIL".into(),
        MessageId::ErrorEmailTaken if zh => "该邮箱已注册账号，请直接登录；忘记密码（或不是您本人注册的）请运行 hc forgot 邮箱地址。".into(),
        MessageId::ErrorEmailTaken => {
            "An account with this email already exists. Log in instead; if you forgot its password (or did not sign up yourself), hc forgot EMAIL takes it back.".into()
        }
        // Each says what to change, then the whole rule.
        MessageId::ErrorWeakPassword
        | MessageId::ErrorPasswordTooShort
        | MessageId::ErrorPasswordTooLong
        | MessageId::ErrorPasswordCommon
        | MessageId::ErrorPasswordIsTheEmail => format!(
            "{}{}{}",
            match (message.id, zh) {
                (MessageId::ErrorPasswordTooShort, true) => "密码太短。",
                (MessageId::ErrorPasswordTooShort, false) => "This password is too short.",
                (MessageId::ErrorPasswordTooLong, true) => "密码太长。",
                (MessageId::ErrorPasswordTooLong, false) => "This password is too long.",
                (MessageId::ErrorPasswordCommon, true) => {
                    "该密码很容易被猜到（是最常见的密码之一，或由同一个字符重复组成）。"
                }
                (MessageId::ErrorPasswordCommon, false) => {
                    "This password is easy to guess: one of the most common ones, or one character repeated."
                }
                (MessageId::ErrorPasswordIsTheEmail, true) => "不能用邮箱地址作为密码。",
                (MessageId::ErrorPasswordIsTheEmail, false) => {
                    "Your email address cannot be your password."
                }
                (_, true) => "不能使用该密码。",
                (_, false) => "This password is not allowed.",
            },
            if zh { "" } else { " " },
            wording(lang, &UiMessage::plain(MessageId::PasswordRule))
        ),
        MessageId::PasswordRule if zh => "密码至少 8 个字符（可以有空格：几个单词连在一起就是好密码），不能是常见密码（如 password123），也不能是您的邮箱地址。".into(),
        MessageId::PasswordRule => "A password has at least 8 characters (spaces are fine: a few \
             words make a good one), is not a common password such as password123, and is not \
             your email address."
            .into(),
        MessageId::ErrorPasswordsDiffer if zh => "两次输入的密码不一致。请输入两次相同的密码。".into(),
        MessageId::ErrorPasswordsDiffer => "The two passwords differ. Type the same password twice.".into(),
        MessageId::AccountCreated if zh => format!("账号 {} 已创建，您已登录。", arg(0)),
        MessageId::AccountCreated => format!("Account {} created; you are logged in.", arg(0)),
        MessageId::VerifyEmailSent if zh => format!("我们已向 {} 发送了一封含 6 位验证码的邮件，验证码 {} 分钟内有效。请输入验证码以验证邮箱：hc verify 验证码", arg(0), arg(1)),
        MessageId::VerifyEmailSent => format!("We mailed a 6-digit code to {}; it is valid for {} minutes. Enter it to verify your address: hc verify CODE", arg(0), arg(1)),
        MessageId::EmailVerified if zh => format!("邮箱 {} 已验证：现在可以添加设备了。", arg(0)),
        MessageId::EmailVerified => format!("Your address {} is verified: you can add devices now.", arg(0)),
        MessageId::ForgotPasswordSent if zh => format!("如果有账号使用 {}，我们已向其发送了一封含 6 位验证码的邮件，验证码 {} 分钟内有效。", arg(0), arg(1)),
        MessageId::ForgotPasswordSent => format!("If an account uses {}, a 6-digit code is on its way to it; it is valid for {} minutes.", arg(0), arg(1)),
        MessageId::PasswordResetDone if zh => "密码已重新设置。所有设备上的登录均已退出，本机已用新密码登录。".into(),
        MessageId::PasswordResetDone => "Your password is set anew. Every session was logged out; this one is logged in with the new password.".into(),
        MessageId::ErrorEmailNotVerified if zh => "请先验证您的邮箱：输入我们发到您邮箱的 6 位验证码（hc verify 验证码；没收到可用 hc verify --resend 重新发送）。".into(),
        MessageId::ErrorEmailNotVerified => "Verify your email address first: enter the 6-digit code we mailed you (hc verify CODE; hc verify --resend sends a new one).".into(),
        MessageId::ErrorInvalidMailedCode if zh => "邮件中的验证码是 6 位数字。".into(),
        MessageId::ErrorInvalidMailedCode => "The code in the mail is 6 digits.".into(),
        MessageId::ErrorMailedCodeWrong if zh => format!("验证码不正确。还可以再试 {} 次。", arg(0)),
        MessageId::ErrorMailedCodeWrong if arg(0) == "1" => "That code is wrong. 1 try left.".into(),
        MessageId::ErrorMailedCodeWrong => format!("That code is wrong. {} tries left.", arg(0)),
        MessageId::ErrorMailedCodeSpent if zh => "此验证码已不能使用（已过期、已使用或尝试次数用完）。请重新获取验证码（hc verify --resend）。".into(),
        MessageId::ErrorMailedCodeSpent => "That code can no longer be used (expired, used, or out of tries). Ask for a new one: hc verify --resend".into(),
        MessageId::ErrorMailedCodeRefused if zh => "验证码不正确或已过期。请使用最新一封邮件中的验证码，或重新获取。".into(),
        MessageId::ErrorMailedCodeRefused => "That code is wrong or has expired. Use the code in the newest mail, or ask for a new one.".into(),
        MessageId::ErrorEmailAlreadyVerified if zh => "您的邮箱已经验证过了。".into(),
        MessageId::ErrorEmailAlreadyVerified => "Your email address is verified already.".into(),
        MessageId::ErrorNotAnHcCloud if zh => format!(
            "{} 不是 hc 云服务：它有应答，但不是 hc 云服务的 API（是否填成了 NVR 自己的地址？）。请检查 --cloud 或 HC_CLOUD_URL。",
            arg(0)
        ),
        MessageId::ErrorNotAnHcCloud => format!(
            "{} is not an hc cloud: it answers, but not as the hc cloud's API does (is it the \
             NVR's own address?). Check --cloud or HC_CLOUD_URL.",
            arg(0)
        ),
        MessageId::ErrorInvalidCloudAddress if zh => format!(
            "无法使用云服务地址 “{}”。请填写网址（https://cloud.example.com）或 主机:端口：不带 http:// 或 https:// 的地址在本机回环地址（localhost、127.0.0.1、[::1]）上使用 http://，其他地址一律使用 https://。",
            arg(0)
        ),
        MessageId::ErrorInvalidCloudAddress => format!(
            "The cloud address \"{}\" cannot be used. Give a URL (https://cloud.example.com) or \
             host:port: an address without http:// or https:// is http:// on this machine's \
             loopback (localhost, 127.0.0.1, [::1]) and https:// everywhere else.",
            arg(0)
        ),
        MessageId::ErrorSessionForOtherCloud if zh => format!(
            "您登录的是另一个云服务（{}），不是这个；您的登录信息绝不会发送到其他地址。请用 `hc login 邮箱` 在此登录。",
            arg(0)
        ),
        MessageId::ErrorSessionForOtherCloud => format!(
            "You are logged in to another cloud ({}), not to this one; your session is never \
             sent anywhere else. Log in here with `hc login EMAIL`.",
            arg(0)
        ),
        MessageId::ErrorInvalidLabelCode if zh => "这不是设备验证码（设备标签上印的 6 位字母 A-Z）。".into(),
        MessageId::ErrorInvalidLabelCode => {
            "That is not a label code (the 6 letters A-Z printed on the device's label).".into()
        }
        MessageId::ErrorInvalidEmail if zh => "这不是有效的邮箱地址。".into(),
        MessageId::ErrorInvalidEmail => "That is not a valid email address.".into(),
        MessageId::ErrorInvalidSerial if zh => "这不是设备序列号（9 位 A-Z 和 0-9）。".into(),
        MessageId::ErrorInvalidSerial => {
            "That is not a device serial number (9 of A-Z and 0-9).".into()
        }
        // The cloud does not say which of the two is wrong: an unknown serial reads the same (no
        // enumeration of serials), so the words name both.
        MessageId::ErrorWrongLabelCode if zh => "序列号与设备验证码不匹配。请核对设备标签上的序列号和 6 位字母的验证码。".into(),
        MessageId::ErrorWrongLabelCode => "The serial number and label code do not match a \
             device. Check both on the device's label: the label code is its 6 letters."
            .into(),
        MessageId::ErrorAlreadyAdded if zh => "该设备已在您的账号中。".into(),
        MessageId::ErrorAlreadyAdded => "The device is already in your account.".into(),
        MessageId::ErrorNotFound if zh => "未找到：该设备不在您的账号中，或该请求已不再待处理。".into(),
        MessageId::ErrorNotFound => {
            "Not found: the device is not in your account, or the request is no longer open.".into()
        }
        MessageId::ErrorStorage if zh => "无法读写会话文件。".into(),
        MessageId::ErrorStorage => "Cannot read or write the session file.".into(),
        MessageId::ErrorInvalidFrame if zh => "无法读取该图片。".into(),
        MessageId::ErrorInvalidFrame => "The image cannot be read.".into(),
        MessageId::ScanHint if zh => "正在扫描…".into(),
        MessageId::ScanHint => "Scanning…".into(),
        MessageId::ScanHintNoCode if zh => "未找到二维码。请对准设备屏幕上的二维码（忘记密码 > 通过Hik-Connect验证）。".into(),
        MessageId::ScanHintNoCode => "No QR code found. Point the camera at the QR code on the \
             device's screen (Forget Password > Verify by Hik-Connect)."
            .into(),
        MessageId::ScanHintTooSmall if zh => "二维码太小，无法识别。请靠近屏幕，让二维码占满画面的大部分。".into(),
        MessageId::ScanHintTooSmall => {
            "The QR code is too small to read. Move closer so that it fills most of the picture."
                .into()
        }
        MessageId::ScanHintBlurred if zh => "二维码模糊。请拿稳手机，等待对焦后再拍。".into(),
        MessageId::ScanHintBlurred => {
            "The QR code is blurred. Hold the phone still and let it focus.".into()
        }
        MessageId::ScanHintGlare if zh => "屏幕反光遮挡了二维码。请稍微倾斜手机以避开反光。".into(),
        MessageId::ScanHintGlare => {
            "Glare on the screen hides the QR code. Tilt the phone a little to avoid it.".into()
        }
        MessageId::ScanHintTooDark if zh => "光线太暗，无法识别二维码。请调亮设备屏幕或打开灯光。".into(),
        MessageId::ScanHintTooDark => {
            "Too dark to read the QR code. Turn up the screen's brightness or turn on a light."
                .into()
        }
        MessageId::ScanRecognized if zh => format!("已识别 {}，序列号 {}。", arg(0), arg(1)),
        MessageId::ScanRecognized => format!("Recognized {}, serial {}.", arg(0), arg(1)),
        MessageId::ScanRequesting if zh => "正在向云服务获取验证码…".into(),
        MessageId::ScanRequesting => "Asking the cloud for the verification code…".into(),
        MessageId::CodeInstructions if zh => "请在设备上输入该验证码，然后设置新密码。".into(),
        MessageId::CodeInstructions => {
            "Enter this verification code on the device, then set a new password.".into()
        }
        MessageId::CodeValidFor if zh => format!("有效期还剩 {}", arg(0)),
        MessageId::CodeValidFor => format!("Valid for {}", arg(0)),
        MessageId::CodeExpired if zh => "该验证码已过期。请在设备上重新生成二维码后再扫描。".into(),
        MessageId::CodeExpired => {
            "This code has expired. Show a new QR code on the device and scan again.".into()
        }
        MessageId::DevicesEmpty if zh => "您的账号中没有设备。请用 `hc add 序列号 验证码` 添加。".into(),
        MessageId::DevicesEmpty => {
            "No devices in your account. Add one with `hc add SERIAL LABEL_CODE`.".into()
        }
        MessageId::DevicesUpdatedJustNow if zh => "（缓存的列表，刚刚更新）".into(),
        MessageId::DevicesUpdatedJustNow => "(cached list from just now)".into(),
        MessageId::DevicesUpdatedMinutesAgo if zh => format!("（缓存的列表，{} 分钟前更新）", arg(0)),
        MessageId::DevicesUpdatedMinutesAgo => format!("(cached list from {} min ago)", arg(0)),
        MessageId::DevicesUpdatedHoursAgo if zh => format!("（缓存的列表，{} 小时前更新）", arg(0)),
        MessageId::DevicesUpdatedHoursAgo => format!("(cached list from {} h ago)", arg(0)),
        MessageId::DevicesUpdatedDaysAgo if zh => format!("（缓存的列表，{} 天前更新）", arg(0)),
        MessageId::DevicesUpdatedDaysAgo => format!("(cached list from {} days ago)", arg(0)),
        MessageId::DevicesSavedList if zh => "无法连接云服务：以下是本机保存的设备列表。".into(),
        MessageId::DevicesSavedList => {
            "The cloud cannot be reached: this is the list saved on this device.".into()
        }
        MessageId::DeviceAdded if zh => format!("设备 {} 已添加到您的账号。", arg(0)),
        MessageId::DeviceAdded => format!("Device {} added to your account.", arg(0)),
        MessageId::AuditIssued if zh => format!("已获取设备 {} 的验证码。", arg(0)),
        MessageId::AuditIssued => format!("Verification code given for {}.", arg(0)),
        MessageId::AuditInvalidQr if zh => "已拒绝：二维码无法验证。".into(),
        MessageId::AuditInvalidQr => "Refused: the QR code could not be verified.".into(),
        MessageId::AuditDeviceNotAdded if zh => format!("已拒绝：设备 {} 未添加到您的账号。", arg(0)),
        MessageId::AuditDeviceNotAdded => {
            format!("Refused: {} is not added to your account.", arg(0))
        }
        MessageId::AuditDeviceAddedByOthers if zh => format!("已拒绝：设备 {} 已被其他账号添加。", arg(0)),
        MessageId::AuditDeviceAddedByOthers => {
            format!("Refused: {} has been added by another account.", arg(0))
        }
        MessageId::AuditRateLimited if zh => format!("已拒绝 {} 次：请求过于频繁。", arg(0)),
        MessageId::AuditRateLimited => format!("Refused {} time(s): too many requests.", arg(0)),
        MessageId::AuditOtherAccountRefused if zh => format!(
            "另一个账号（{}）在设备 {} 属于您的账号期间请求其验证码：已拒绝。",
            arg(0),
            arg(1)
        ),
        MessageId::AuditOtherAccountRefused => format!(
            "Another account ({}) asked for a code for {} while it was in your account: refused.",
            arg(0),
            arg(1)
        ),
        MessageId::AuditOtherAccountRateLimited if zh => format!(
            "另一个账号（{}）{} 次请求设备 {} 的验证码（当时该设备属于您的账号）：已拒绝，请求过于频繁。",
            arg(0),
            arg(1),
            arg(2)
        ),
        MessageId::AuditOtherAccountRateLimited => format!(
            "Another account ({}) asked {} time(s) for a code for {} while it was in your account: refused, too many requests.",
            arg(0),
            arg(1),
            arg(2)
        ),
        MessageId::PasswordChanged if zh => "密码已修改。其他设备上的登录均已退出，本机保持登录。".into(),
        MessageId::PasswordChanged => {
            "Password changed. Every other session was logged out; this one stays logged in."
                .into()
        }
        MessageId::LoggedOutEverywhere if zh => "已在所有设备上退出登录，包括本机。".into(),
        MessageId::LoggedOutEverywhere => {
            "Logged out everywhere: every session of the account has ended, this one too.".into()
        }
        MessageId::ErrorInvalidPushEndpoint if zh => "此地址无法接收事件：请使用公网上的 https:// 地址。".into(),
        MessageId::ErrorInvalidPushEndpoint => "This address cannot receive events: use an https:// address on the public internet.".into(),
        MessageId::ErrorTooManyPushEndpoints if zh => "此账号的推送地址已达上限：请先删除一个。".into(),
        MessageId::ErrorTooManyPushEndpoints => "This account already has as many push addresses as it may: remove one first.".into(),
        MessageId::ErrorQrAlreadyUsed if zh => "此二维码已被使用。请在设备上重新打开“忘记密码”页面以显示新的二维码，然后扫描。".into(),
        MessageId::ErrorQrAlreadyUsed => "This QR code was already used. Open the device's Forget Password page again so that it shows a new one, and scan that.".into(),
        MessageId::ErrorTransferPending if zh => "已有一个转移此设备的请求正在进行：请等待其结束。".into(),
        MessageId::ErrorTransferPending => "A request to move this device is already open: wait until it ends.".into(),
        MessageId::ErrorTransferRefusedRecently if zh => "设备所有者最近拒绝了您对此设备的请求：暂时无法再次请求。".into(),
        MessageId::ErrorTransferRefusedRecently => "The owner refused your request for this device recently: you cannot ask again yet.".into(),
        MessageId::HintRequestTransfer if zh => format!("您在设备 {0} 旁边吗？可使用设备当前显示的二维码和标签上的验证码，请求将其转移到您的账号。", arg(0)),
        MessageId::HintRequestTransfer => format!("Standing at {0}? Ask for it to be moved to your account with the QR code it shows now and its label code.", arg(0)),
        MessageId::FeedResetCodeIssued if zh => format!("已为设备 {0} 发放验证码。", arg(0)),
        MessageId::FeedResetCodeIssued => format!("A verification code was given for {0}.", arg(0)),
        MessageId::FeedResetAttemptRefused if zh => format!("另一个账号（{0}）请求设备 {1} 的验证码：已拒绝。", arg(0), arg(1)),
        MessageId::FeedResetAttemptRefused => format!("Another account ({0}) asked for a code for {1}: refused.", arg(0), arg(1)),
        MessageId::FeedNewLogin if zh => format!("新的登录，来自 {0}。", arg(0)),
        MessageId::FeedNewLogin => format!("New login from {0}.", arg(0)),
        MessageId::FeedTransferRequested if zh => format!("请求在您的账号与 {0} 之间转移设备 {1}：除非所有者拒绝，等待期结束时将转移。", arg(0), arg(1)),
        MessageId::FeedTransferRequested => format!("Request to move {1} between your account and {0}: it moves when the waiting period ends unless its owner refuses.", arg(0), arg(1)),
        MessageId::FeedTransferRefused if zh => format!("在您的账号与 {0} 之间转移设备 {1} 的请求已被拒绝：设备不变。", arg(0), arg(1)),
        MessageId::FeedTransferRefused => format!("The move of {1} between your account and {0} was refused: it stays.", arg(0), arg(1)),
        MessageId::FeedTransferApproved if zh => format!("在您的账号与 {0} 之间转移设备 {1} 的请求已获批准：设备已转移。", arg(0), arg(1)),
        MessageId::FeedTransferApproved => format!("The move of {1} between your account and {0} was approved: it has moved.", arg(0), arg(1)),
        MessageId::FeedTransferCompleted if zh => format!("等待期已结束：设备 {1} 已在您的账号与 {0} 之间转移。", arg(0), arg(1)),
        MessageId::FeedTransferCompleted => format!("The waiting period ended: {1} moved between your account and {0}.", arg(0), arg(1)),
        MessageId::FeedPasswordReset if zh => "已使用邮件中的验证码重新设置了账号密码。如果不是您本人操作，请立即重新设置密码。".to_string(),
        MessageId::FeedPasswordReset => "The account password was set anew with a code mailed to your address. If this was not you, reset it again now.".to_string(),
        MessageId::FeedUnknown if zh => "此版本应用尚不认识的安全事件。".into(),
        MessageId::FeedUnknown => "A security event this app version does not know yet.".into(),
        MessageId::TransferOutgoingOpen if zh => format!("您已请求设备 {0}：除非 {2} 拒绝，将在 {1} 后转移到您的账号。", arg(0), arg(1), arg(2)),
        MessageId::TransferOutgoingOpen => format!("You asked for {0}: it moves to your account in {1} unless {2} refuses.", arg(0), arg(1), arg(2)),
        MessageId::TransferIncomingOpen if zh => format!("{2} 请求您的设备 {0}：除非您拒绝，将在 {1} 后转移到其账号。", arg(0), arg(1), arg(2)),
        MessageId::TransferIncomingOpen => format!("{2} asks for your {0}: it moves to their account in {1} unless you refuse.", arg(0), arg(1), arg(2)),
        MessageId::TransferCancelled if zh => format!("在您的账号与 {0} 之间转移设备 {1} 的请求已取消：设备不变。", arg(0), arg(1)),
        MessageId::TransferCancelled => format!("The move of {1} between your account and {0} was cancelled: it stays.", arg(0), arg(1)),
    }
}

/// Where `hc devices` got its list, truthfully: the cloud's answer just now, or the cache, either
/// because it is young enough that the cloud was not asked, or because the cloud was asked and
/// could not answer; and how to ask again.
pub fn list_source(snapshot: &DeviceListSnapshot, max_age_secs: u64) -> String {
    list_source_in(Lang::from_env(), snapshot, max_age_secs)
}

pub fn list_source_in(lang: Lang, snapshot: &DeviceListSnapshot, max_age_secs: u64) -> String {
    let max_age = human_duration_in(lang, max_age_secs);
    match (lang, snapshot.from_cache, snapshot.cloud_unreachable) {
        (Lang::En, false, _) => "The cloud was asked just now.".into(),
        (Lang::Zh, false, _) => "刚刚询问过云服务。".into(),
        (Lang::En, true, false) => format!(
            "The cloud was not asked: the cached list is younger than {max_age}. \
             `hc devices --refresh` asks it now."
        ),
        (Lang::Zh, true, false) => format!(
            "未询问云服务：缓存的列表不到 {}。`hc devices --refresh` 立即询问。",
            seconds(Lang::Zh, &max_age_secs.to_string())
        ),
        (Lang::En, true, true) => "The cloud was asked but could not be reached, so this is the \
             list as it was then. `hc devices --refresh` asks again."
            .into(),
        (Lang::Zh, true, true) => {
            "已询问云服务但无法连接，这是当时的列表。`hc devices --refresh` 再次询问。".into()
        }
    }
}

/// The lines of `hc audit`, one per event: when, its id (for `--before`), what happened in words
/// (who asked is in the words: you, or the other account masked), and where your own requests
/// came from.
pub fn audit_lines(lang: Lang, events: &[AuditEventInfo]) -> Vec<String> {
    events
        .iter()
        .map(|event| {
            let from = match &event.client_addr {
                Some(addr) if lang == Lang::Zh => format!("（来自 {addr}）"),
                Some(addr) => format!(" (from {addr})"),
                None => String::new(),
            };
            format!(
                "{}  #{:<5} {}{from}",
                utc_time(event.at_unix),
                event.id,
                wording(lang, &event.message)
            )
        })
        .collect()
}

/// A number of seconds as the core gives it, in the terminal's units.
fn seconds(lang: Lang, arg: &str) -> String {
    match (arg.parse::<u64>(), lang) {
        (Ok(secs), _) => human_duration_in(lang, secs),
        (Err(_), _) => arg.to_owned(),
    }
}

/// The process exit code for an error, so that scripts can tell the notes apart.
pub fn exit_code(error: &HcError) -> u8 {
    match error {
        HcError::NoQrFound { .. }
        | HcError::NotAResetQr
        | HcError::InvalidQr
        | HcError::InvalidFrame { .. } => 3,
        HcError::Server {
            code: ErrorCode::QrAlreadyUsed,
            ..
        } => 3,
        HcError::DeviceNotAdded { .. } => 4,
        HcError::DeviceAddedByOthers { .. } => 5,
        HcError::NotLoggedIn | HcError::SessionExpired | HcError::SessionForOtherCloud { .. } => 6,
        HcError::RateLimited { .. } => 7,
        HcError::Network { .. } => 8,
        HcError::NotAnHcCloud { .. } | HcError::InvalidCloudAddress { .. } => 9,
        HcError::WeakPassword { .. }
        | HcError::PasswordsDiffer
        | HcError::InvalidSerial
        | HcError::InvalidLabelCode
        | HcError::InvalidMailedCode
        | HcError::MailedCodeRefused { .. } => 2,
        // Like "not logged in": the account must do something first.
        HcError::EmailNotVerified => 6,
        // What the cloud refused as typed (a wrong password or label code, an unknown serial, an
        // e-mail already registered) is bad input too: the same rule as the screens' next step.
        HcError::Server { .. } if error.action() == ErrorAction::CorrectInput => 2,
        // A request the cloud could not take as sent (a device name over its length, ...).
        HcError::Server {
            code: ErrorCode::BadRequest,
            ..
        } => 2,
        HcError::Server { .. } | HcError::Storage { .. } => 1,
    }
}

/// A duration in the terminal's language: "29 min 59 s", "29 分 59 秒".
pub fn human_duration_in(lang: Lang, secs: u64) -> String {
    match lang {
        Lang::En => human_duration(secs),
        Lang::Zh => match secs {
            0..=59 => format!("{secs} 秒"),
            60..=3599 if secs % 60 == 0 => format!("{} 分钟", secs / 60),
            60..=3599 => format!("{} 分 {} 秒", secs / 60, secs % 60),
            _ => format!("{} 小时 {} 分", secs / 3600, (secs % 3600) / 60),
        },
    }
}

/// "45 s", "2 min 5 s", "1 h 0 min".
pub fn human_duration(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 if secs % 60 == 0 => format!("{} min", secs / 60),
        60..=3599 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, (secs % 3600) / 60),
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC` for unix seconds (civil-from-days, no time zone database needed).
pub fn utc_time(unix: i64) -> String {
    let t = hc_protocol::utc::utc_datetime(unix);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// An 8-digit code in two groups, easier to read aloud and type: `6078 4413` (the core's grouping,
/// as the phones show it).
pub use hc_core::group_code as grouped_code;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_english_and_chinese_words_with_its_arguments() {
        for &id in MessageId::ALL {
            let args: Vec<String> = (0..id.arg_count()).map(|i| format!("<{i}>")).collect();
            let message = UiMessage {
                id,
                args: args.clone(),
            };
            let en = wording(Lang::En, &message);
            let zh = wording(Lang::Zh, &message);
            assert_ne!(en, zh, "{}", id.key());
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{}",
                id.key()
            );
            // Every argument shows, except where the words say it another way (seconds, which
            // are reworded as minutes, and the model and serial while asking the cloud).
            if !matches!(id, MessageId::ErrorRateLimited | MessageId::ScanRequesting) {
                for arg in &args {
                    assert!(
                        en.contains(arg) && zh.contains(arg),
                        "{}: {en} / {zh}",
                        id.key()
                    );
                }
            }
        }
    }

    #[test]
    fn the_audit_says_who_asked_for_which_device_in_words_in_both_languages() {
        let theirs = AuditEventInfo {
            id: 42,
            at_unix: 1_764_028_800,
            serial: Some("J12345678".into()),
            nonce: None,
            outcome: hc_core::AuditOutcome::BoundToOtherAccount,
            client_addr: None,
            actor: hc_core::AuditActor::OtherAccount {
                masked_email: "in***@example.com".into(),
            },
            count: 1,
            message: UiMessage::with(
                MessageId::AuditOtherAccountRefused,
                ["in***@example.com", "J12345678"],
            ),
        };
        let mine = AuditEventInfo {
            id: 41,
            client_addr: Some("192.0.2.7".into()),
            actor: hc_core::AuditActor::You,
            outcome: hc_core::AuditOutcome::Issued,
            message: UiMessage::with(MessageId::AuditIssued, ["J12345678"]),
            ..theirs.clone()
        };
        assert_eq!(
            audit_lines(Lang::En, &[theirs.clone(), mine.clone()]),
            [
                "2025-11-25 00:00:00 UTC  #42    Another account (in***@example.com) asked for a code \
                 for J12345678 while it was in your account: refused.",
                "2025-11-25 00:00:00 UTC  #41    Verification code given for J12345678. (from 192.0.2.7)",
            ]
        );
        let zh = audit_lines(Lang::Zh, &[theirs, mine]);
        assert!(
            zh[0].contains("另一个账号（in***@example.com）"),
            "{}",
            zh[0]
        );
        assert!(
            zh[1].contains("已获取设备 J12345678 的验证码。（来自 192.0.2.7）"),
            "{}",
            zh[1]
        );
        // No outcome code reaches the user.
        assert!(!zh.concat().contains("bound_to_other_account"));
    }

    #[test]
    fn a_wait_is_said_in_minutes_and_seconds() {
        let limited = HcError::RateLimited {
            retry_after_secs: 125,
        };
        assert_eq!(
            describe_in(Lang::En, &limited),
            "Too many requests. Try again in 2 min 5 s."
        );
        assert!(describe_in(Lang::Zh, &limited).contains("2 分 5 秒"));
    }

    #[test]
    fn the_vendor_notes_name_the_device() {
        let serial = "J12345678".to_owned();
        let not_added = describe_in(
            Lang::En,
            &HcError::DeviceNotAdded {
                serial: serial.clone(),
            },
        );
        assert!(not_added.contains("not added to your account"));
        assert!(not_added.contains(&serial));
        let by_others = describe_in(
            Lang::En,
            &HcError::DeviceAddedByOthers {
                serial: serial.clone(),
            },
        );
        assert!(by_others.contains("added by another account"));
        assert!(by_others.contains(&serial));
    }

    #[test]
    fn a_blurred_photo_of_the_qr_says_hold_still_not_wrong_code() {
        let blurred = HcError::NoQrFound {
            hint: hc_core::ScanHint::Blurred,
        };
        let said = describe_in(Lang::En, &blurred);
        assert!(said.contains("Hold the phone still"), "{said}");
        assert!(!said.contains("not a Reset Device Password QR code"));
        assert!(describe_in(Lang::Zh, &blurred).contains("拿稳"));
        assert_eq!(exit_code(&blurred), 3);
    }

    #[test]
    fn times_and_codes_read_well() {
        assert_eq!(utc_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc_time(1_764_028_800), "2025-11-25 00:00:00 UTC");
        assert_eq!(utc_time(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(human_duration(45), "45 s");
        assert_eq!(human_duration(120), "2 min");
        assert_eq!(human_duration(125), "2 min 5 s");
        assert_eq!(human_duration(3600), "1 h 0 min");
        assert_eq!(human_duration_in(Lang::Zh, 1799), "29 分 59 秒");
        assert_eq!(human_duration_in(Lang::Zh, 300), "5 分钟");
        assert_eq!(grouped_code("60784413"), "6078 4413");
    }
}
