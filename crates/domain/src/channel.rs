use crate::error::ParamError;
use crate::money::Currency;
use crate::Mode;
use serde::{Deserialize, Serialize};

/// Payment channels, by their Ping++ codes. Adding a channel adds a variant,
/// and the compiler then points at every match that must learn about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelCode {
    /// Unicharge's own test channel: a hosted pay page with Pay and Fail buttons.
    Sandbox,
    /// Alipay in a mobile app (`alipay.trade.app.pay`).
    Alipay,
    /// Alipay in a mobile browser (`alipay.trade.wap.pay`).
    AlipayWap,
    /// Alipay on a desktop web page (`alipay.trade.page.pay`).
    AlipayPcDirect,
    /// The buyer scans the merchant's QR code (`alipay.trade.precreate`).
    AlipayQr,
    /// The merchant scans the buyer's payment code (`alipay.trade.pay`).
    AlipayScan,
    /// Alipay mini program (`alipay.trade.create`).
    AlipayLite,
    /// WeChat Pay in a mobile app (v3 `/v3/pay/transactions/app`, v2 `trade_type=APP`).
    Wx,
    /// WeChat official account, JSAPI (v3 `jsapi`, v2 `trade_type=JSAPI`).
    WxPub,
    /// WeChat mini program; the same JSAPI order as `wx_pub`.
    WxLite,
    /// The buyer scans the merchant's QR code: Native (v3 `native`, v2 `trade_type=NATIVE`).
    WxPubQr,
    /// WeChat H5 in a mobile browser (v3 `h5`, v2 `trade_type=MWEB`).
    WxWap,
    /// The merchant scans the buyer's payment code (v2 `micropay`).
    WxPubScan,
    /// UnionPay in a mobile app (`appTransReq`, `channelType=08`): a `tn` for the UnionPay SDK.
    Upacp,
    /// UnionPay in a mobile browser (`frontTransReq`, `channelType=08`).
    UpacpWap,
    /// UnionPay on a desktop web page (`frontTransReq`, `channelType=07`).
    UpacpPc,
    /// Apple in-app purchase: the app buys through StoreKit and the server
    /// verifies the purchase, so the charge is created already paid.
    AppleIap,
}

/// What a channel accepts, used to validate a charge before any I/O.
#[derive(Debug, Clone, Copy)]
pub struct ChannelRules {
    pub max_amount: i64,
    pub order_no_min: usize,
    pub order_no_max: usize,
    pub currencies: &'static [Currency],
    pub required_extra: &'static [&'static str],
    pub live_allowed: bool,
    /// `extra` keys of which exactly one must be present as a non-empty
    /// string (Apple: a StoreKit 2 `signed_transaction` or a legacy
    /// `receipt_data`). Empty when the channel has no such choice.
    pub one_of_extra: &'static [&'static str],
}

/// Alipay's single-transaction ceiling, 100,000,000.00 yuan, in fen.
const ALIPAY_MAX_AMOUNT: i64 = 10_000_000_000;

/// Alipay products differ only in what `extra` must carry.
const fn alipay_rules(required_extra: &'static [&'static str]) -> ChannelRules {
    ChannelRules {
        max_amount: ALIPAY_MAX_AMOUNT,
        // `out_trade_no` is at most 64 characters.
        order_no_min: 1,
        order_no_max: 64,
        currencies: &[Currency::Cny],
        required_extra,
        live_allowed: true,
        one_of_extra: &[],
    }
}

/// WeChat Pay's `total_fee` is a 32-bit integer of fen; stay well inside it.
const WECHAT_MAX_AMOUNT: i64 = 1_000_000_000;

/// WeChat Pay products differ only in what `extra` must carry.
const fn wechat_rules(required_extra: &'static [&'static str]) -> ChannelRules {
    ChannelRules {
        max_amount: WECHAT_MAX_AMOUNT,
        // `out_trade_no` is 6 to 32 characters (APIv3's bound; APIv2 accepts it too).
        order_no_min: 6,
        order_no_max: 32,
        currencies: &[Currency::Cny],
        required_extra,
        live_allowed: true,
        one_of_extra: &[],
    }
}

/// UnionPay's `txnAmt` allows 12 digits; stay inside the Java SDK's `Integer`.
const UNIONPAY_MAX_AMOUNT: i64 = 1_000_000_000;

/// UnionPay products differ only in what `extra` must carry.
const fn unionpay_rules(required_extra: &'static [&'static str]) -> ChannelRules {
    ChannelRules {
        max_amount: UNIONPAY_MAX_AMOUNT,
        // `orderId` is 8 to 40 letters and digits.
        order_no_min: 8,
        order_no_max: 40,
        currencies: &[Currency::Cny],
        required_extra,
        live_allowed: true,
        one_of_extra: &[],
    }
}

impl ChannelCode {
    pub const ALL: &'static [ChannelCode] = &[
        ChannelCode::Sandbox,
        ChannelCode::Alipay,
        ChannelCode::AlipayWap,
        ChannelCode::AlipayPcDirect,
        ChannelCode::AlipayQr,
        ChannelCode::AlipayScan,
        ChannelCode::AlipayLite,
        ChannelCode::Wx,
        ChannelCode::WxPub,
        ChannelCode::WxLite,
        ChannelCode::WxPubQr,
        ChannelCode::WxWap,
        ChannelCode::WxPubScan,
        ChannelCode::Upacp,
        ChannelCode::UpacpWap,
        ChannelCode::UpacpPc,
        ChannelCode::AppleIap,
    ];

    pub fn parse(s: &str) -> Result<Self, ParamError> {
        match s {
            "sandbox" => Ok(ChannelCode::Sandbox),
            "alipay" => Ok(ChannelCode::Alipay),
            "alipay_wap" => Ok(ChannelCode::AlipayWap),
            "alipay_pc_direct" => Ok(ChannelCode::AlipayPcDirect),
            "alipay_qr" => Ok(ChannelCode::AlipayQr),
            "alipay_scan" => Ok(ChannelCode::AlipayScan),
            "alipay_lite" => Ok(ChannelCode::AlipayLite),
            "wx" => Ok(ChannelCode::Wx),
            "wx_pub" => Ok(ChannelCode::WxPub),
            "wx_lite" => Ok(ChannelCode::WxLite),
            "wx_pub_qr" => Ok(ChannelCode::WxPubQr),
            "wx_wap" => Ok(ChannelCode::WxWap),
            "wx_pub_scan" => Ok(ChannelCode::WxPubScan),
            "upacp" => Ok(ChannelCode::Upacp),
            "upacp_wap" => Ok(ChannelCode::UpacpWap),
            "upacp_pc" => Ok(ChannelCode::UpacpPc),
            "apple_iap" => Ok(ChannelCode::AppleIap),
            "" => Err(ParamError::missing("channel")),
            other => Err(ParamError::unsupported("channel", format!("'{other}' is not a known channel"))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelCode::Sandbox => "sandbox",
            ChannelCode::Alipay => "alipay",
            ChannelCode::AlipayWap => "alipay_wap",
            ChannelCode::AlipayPcDirect => "alipay_pc_direct",
            ChannelCode::AlipayQr => "alipay_qr",
            ChannelCode::AlipayScan => "alipay_scan",
            ChannelCode::AlipayLite => "alipay_lite",
            ChannelCode::Wx => "wx",
            ChannelCode::WxPub => "wx_pub",
            ChannelCode::WxLite => "wx_lite",
            ChannelCode::WxPubQr => "wx_pub_qr",
            ChannelCode::WxWap => "wx_wap",
            ChannelCode::WxPubScan => "wx_pub_scan",
            ChannelCode::Upacp => "upacp",
            ChannelCode::UpacpWap => "upacp_wap",
            ChannelCode::UpacpPc => "upacp_pc",
            ChannelCode::AppleIap => "apple_iap",
        }
    }

    /// The channel whose configuration this channel uses. One Alipay
    /// application (app id, keys) serves every Alipay product, so an app
    /// configures `alipay` once per mode rather than six times.
    pub fn config_code(self) -> ChannelCode {
        match self {
            ChannelCode::Sandbox => ChannelCode::Sandbox,
            ChannelCode::Alipay
            | ChannelCode::AlipayWap
            | ChannelCode::AlipayPcDirect
            | ChannelCode::AlipayQr
            | ChannelCode::AlipayScan
            | ChannelCode::AlipayLite => ChannelCode::Alipay,
            // One merchant account (mchid, appid, keys) serves every WeChat Pay product.
            ChannelCode::Wx
            | ChannelCode::WxPub
            | ChannelCode::WxLite
            | ChannelCode::WxPubQr
            | ChannelCode::WxWap
            | ChannelCode::WxPubScan => ChannelCode::Wx,
            // One UnionPay merchant (merId, signing certificate) serves all three.
            ChannelCode::Upacp | ChannelCode::UpacpWap | ChannelCode::UpacpPc => ChannelCode::Upacp,
            ChannelCode::AppleIap => ChannelCode::AppleIap,
        }
    }

    pub fn rules(self) -> ChannelRules {
        match self {
            ChannelCode::Sandbox => ChannelRules {
                // The same ceiling as Alipay's single-transaction limit, so
                // sandbox tests exercise realistic bounds.
                max_amount: ALIPAY_MAX_AMOUNT,
                order_no_min: 1,
                order_no_max: 64,
                currencies: &[Currency::Cny],
                required_extra: &[],
                live_allowed: false,
                one_of_extra: &[],
            },
            // `success_url` (and `cancel_url` for wap) are optional: Alipay
            // needs no return page, it only improves the buyer's way back.
            ChannelCode::Alipay | ChannelCode::AlipayWap | ChannelCode::AlipayPcDirect | ChannelCode::AlipayQr => {
                alipay_rules(&[])
            }
            // Ping++ names the buyer's payment code `scan_code`; it becomes
            // Alipay's `auth_code`.
            ChannelCode::AlipayScan => alipay_rules(&["scan_code"]),
            // The buyer's Alipay user id, which the mini program obtains.
            ChannelCode::AlipayLite => alipay_rules(&["buyer_id"]),
            // Ping++ lists `product_id` for wx_pub_qr; only APIv2 needs one,
            // and the adapter falls back to the order number there.
            ChannelCode::Wx | ChannelCode::WxPubQr | ChannelCode::WxWap => wechat_rules(&[]),
            // The payer's openid under the configured appid.
            ChannelCode::WxPub | ChannelCode::WxLite => wechat_rules(&["open_id"]),
            // Ping++ names the buyer's payment code `scan_code`; it becomes `auth_code`.
            ChannelCode::WxPubScan => wechat_rules(&["scan_code"]),
            ChannelCode::Upacp => unionpay_rules(&[]),
            // Where UnionPay's page sends the buyer back (`frontUrl`); Ping++ requires it.
            ChannelCode::UpacpWap | ChannelCode::UpacpPc => unionpay_rules(&["result_url"]),
            ChannelCode::AppleIap => ChannelRules {
                // Apple's highest price tier is far below this; the product
                // table, not this bound, decides what a purchase may cost.
                max_amount: 100_000_000,
                order_no_min: 1,
                order_no_max: 64,
                currencies: &[Currency::Cny],
                required_extra: &[],
                live_allowed: true,
                one_of_extra: &["signed_transaction", "receipt_data"],
            },
        }
    }

    pub fn available_in(self, mode: Mode) -> bool {
        match mode {
            Mode::Test => true,
            Mode::Live => self.rules().live_allowed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in ChannelCode::ALL {
            assert_eq!(ChannelCode::parse(c.as_str()).ok(), Some(*c));
            let json = serde_json::to_string(c).expect("serialize");
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
        assert!(ChannelCode::parse("bitcoin").is_err());
        assert!(!ChannelCode::Sandbox.available_in(Mode::Live));
    }

    #[test]
    fn alipay_products_share_one_configuration() {
        let alipay: Vec<_> = ChannelCode::ALL.iter().filter(|c| c.as_str().starts_with("alipay")).collect();
        assert_eq!(alipay.len(), 6);
        for c in alipay {
            assert_eq!(c.config_code(), ChannelCode::Alipay);
            assert!(c.available_in(Mode::Live));
            let r = c.rules();
            assert_eq!((r.order_no_min, r.order_no_max, r.max_amount), (1, 64, 10_000_000_000));
            assert_eq!(r.currencies, &[Currency::Cny]);
        }
        assert_eq!(ChannelCode::Sandbox.config_code(), ChannelCode::Sandbox);
        assert_eq!(ChannelCode::AlipayScan.rules().required_extra, &["scan_code"]);
        assert_eq!(ChannelCode::AlipayLite.rules().required_extra, &["buyer_id"]);
        assert!(ChannelCode::AlipayQr.rules().required_extra.is_empty());
    }

    #[test]
    fn wechat_products_share_one_configuration() {
        let wx: Vec<_> = ChannelCode::ALL.iter().filter(|c| c.as_str().starts_with("wx")).collect();
        assert_eq!(wx.len(), 6);
        for c in wx {
            assert_eq!(c.config_code(), ChannelCode::Wx);
            assert!(c.available_in(Mode::Live));
            let r = c.rules();
            assert_eq!((r.order_no_min, r.order_no_max), (6, 32));
            assert!(r.max_amount < i64::from(i32::MAX));
            assert_eq!(r.currencies, &[Currency::Cny]);
        }
        assert_eq!(ChannelCode::WxPub.rules().required_extra, &["open_id"]);
        assert_eq!(ChannelCode::WxLite.rules().required_extra, &["open_id"]);
        assert_eq!(ChannelCode::WxPubScan.rules().required_extra, &["scan_code"]);
        assert!(ChannelCode::WxPubQr.rules().required_extra.is_empty());
    }

    #[test]
    fn unionpay_products_share_one_configuration() {
        let up: Vec<_> = ChannelCode::ALL.iter().filter(|c| c.as_str().starts_with("upacp")).collect();
        assert_eq!(up.len(), 3);
        for c in up {
            assert_eq!(c.config_code(), ChannelCode::Upacp);
            assert!(c.available_in(Mode::Live));
            let r = c.rules();
            assert_eq!((r.order_no_min, r.order_no_max), (8, 40));
            assert!(r.max_amount < i64::from(i32::MAX));
        }
        assert!(ChannelCode::Upacp.rules().required_extra.is_empty());
        assert_eq!(ChannelCode::UpacpPc.rules().required_extra, &["result_url"]);
        assert_eq!(ChannelCode::AppleIap.config_code(), ChannelCode::AppleIap);
        assert_eq!(ChannelCode::AppleIap.rules().one_of_extra, &["signed_transaction", "receipt_data"]);
    }
}
