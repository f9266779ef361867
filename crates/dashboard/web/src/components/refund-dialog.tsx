// Refund creation in two steps: enter the amount, then confirm it. A
// refund moves real money and cannot be undone, so it is never one click.
import { useMemo, useState } from "preact/hooks";
import { api, idempotencyKey } from "../api";
import { money, parseYuan } from "../format";
import type { Charge, Refund } from "../types";
import { ErrorBox, Modal, toast } from "./ui";

export function RefundDialog(props: { charge: Charge; onClose: () => void; onDone: (r: Refund) => void }) {
  const c = props.charge;
  const max = c.amount_refundable ?? c.amount - c.amount_refunded;
  const [amountText, setAmountText] = useState((max / 100).toFixed(2));
  const [description, setDescription] = useState("");
  const [step, setStep] = useState<"edit" | "confirm">("edit");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // One key per dialog: pressing Confirm twice, or a retried request,
  // creates one refund.
  const key = useMemo(idempotencyKey, []);
  const fen = parseYuan(amountText);
  const valid = fen !== null && fen > 0 && fen <= max;

  async function submit() {
    if (fen === null) return;
    setBusy(true);
    setError(null);
    try {
      const r = await api.post<Refund>(
        `/charges/${c.id}/refunds`,
        { amount: fen, ...(description.trim() ? { description: description.trim() } : {}) },
        { "Idempotency-Key": key },
      );
      toast(r.status === "pending" ? "Refund sent; waiting for the channel's answer" : `Refund ${r.status}`);
      props.onDone(r);
    } catch (e) {
      setError(e);
      setStep("edit");
    } finally {
      setBusy(false);
    }
  }

  if (step === "confirm" && fen !== null) {
    return (
      <Modal
        title="Confirm the refund"
        onClose={props.onClose}
        footer={
          <>
            <button type="button" class="btn" onClick={() => setStep("edit")} disabled={busy}>
              Back
            </button>
            <button type="button" class="btn danger" onClick={submit} disabled={busy} data-testid="refund-confirm">
              {busy ? "Refunding…" : `Refund ${money(fen, c.currency)}`}
            </button>
          </>
        }
      >
        <p>
          Refund <strong>{money(fen, c.currency)}</strong> of <strong>{money(c.amount, c.currency)}</strong> to the customer who paid order{" "}
          <strong>{c.order_no}</strong>?
        </p>
        {description.trim() && <p class="muted">Reason: {description.trim()}</p>}
        <div class="notice">The channel returns the money to the payer. This cannot be undone.</div>
      </Modal>
    );
  }

  return (
    <Modal
      title="Refund this payment"
      onClose={props.onClose}
      footer={
        <>
          <button type="button" class="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button type="button" class="btn primary" disabled={!valid} onClick={() => setStep("confirm")} data-testid="refund-next">
            Review refund
          </button>
        </>
      }
    >
      {error !== null && <ErrorBox error={error} />}
      <label class="field">
        Amount ({c.currency.toUpperCase()}), at most {money(max, c.currency)}
        <input
          name="amount"
          inputMode="decimal"
          value={amountText}
          onInput={(e) => setAmountText((e.target as HTMLInputElement).value)}
          aria-invalid={!valid}
        />
      </label>
      {!valid && <span class="muted">Enter an amount between ¥0.01 and {money(max, c.currency)}.</span>}
      <label class="field">
        Reason (optional, sent to the channel)
        <input name="description" maxLength={255} value={description} onInput={(e) => setDescription((e.target as HTMLInputElement).value)} />
      </label>
    </Modal>
  );
}
