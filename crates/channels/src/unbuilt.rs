//! TEMPORARY scaffolding while UnionPay and Apple are being built in
//! parallel: lets the workspace compile with their codes routed here. It is
//! deleted before either channel is called done; nothing may ship using it.

use crate::{
    Ack, Channel, ChannelContext, ChannelError, ChargeRef, Created, NotifyOutcome, ParamSpec, RawNotify, RefundRef,
    RefundStatusReport,
};
use async_trait::async_trait;
use unicharge_domain::ChannelCode;

pub struct Unbuilt(pub ChannelCode);

fn err(code: ChannelCode) -> ChannelError {
    ChannelError::Config(format!("channel {} is not available yet", code.as_str()))
}

#[async_trait]
impl Channel for Unbuilt {
    fn code(&self) -> ChannelCode {
        self.0
    }
    fn params(&self) -> &'static [ParamSpec] {
        &[]
    }
    async fn create_credential(&self, _: &ChannelContext, _: &ChargeRef) -> Result<Created, ChannelError> {
        Err(err(self.0))
    }
    async fn query(&self, _: &ChannelContext, _: &ChargeRef) -> Result<crate::PaymentStatus, ChannelError> {
        Err(err(self.0))
    }
    async fn close(&self, _: &ChannelContext, _: &ChargeRef) -> Result<(), ChannelError> {
        Err(err(self.0))
    }
    async fn refund(&self, _: &ChannelContext, _: &RefundRef) -> Result<RefundStatusReport, ChannelError> {
        Err(err(self.0))
    }
    async fn refund_query(&self, _: &ChannelContext, _: &RefundRef) -> Result<RefundStatusReport, ChannelError> {
        Err(err(self.0))
    }
    fn parse_notify(&self, _: &ChannelContext, _: &RawNotify) -> Result<NotifyOutcome, ChannelError> {
        Err(err(self.0))
    }
    fn ack(&self, _: &RawNotify, _: bool) -> Ack {
        Ack { status: 500, content_type: "text/plain", body: "unavailable".into() }
    }
}
