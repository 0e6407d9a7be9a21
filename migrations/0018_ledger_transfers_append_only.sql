-- ledger_transfers is append-only: a mistake is corrected by a new transfer, never by editing or
-- removing one (docs/payments.md). The database refuses both, whoever asks.
CREATE TRIGGER `ledger_transfers_no_update` BEFORE UPDATE ON `ledger_transfers`
BEGIN
  SELECT RAISE(ABORT, 'ledger_transfers_append_only');
END;
--> statement-breakpoint
CREATE TRIGGER `ledger_transfers_no_delete` BEFORE DELETE ON `ledger_transfers`
BEGIN
  SELECT RAISE(ABORT, 'ledger_transfers_append_only');
END;
--> statement-breakpoint
-- A transfer under a dedupe key already posted aborts its batch either way, so a retry never moves
-- money twice; the message says which case it was. The same transfer again (payment, kind,
-- accounts, amount, memo) is 'exists': the retry's work is already done. Anything else under that
-- key is 'key reused', an error. Only a repeated key pays for the comparison.
CREATE TRIGGER `ledger_transfers_retry` BEFORE INSERT ON `ledger_transfers`
WHEN EXISTS (SELECT 1 FROM ledger_transfers WHERE dedupe_key = NEW.dedupe_key)
BEGIN
  SELECT RAISE(ABORT, 'ledger_transfer_exists') FROM ledger_transfers
  WHERE dedupe_key = NEW.dedupe_key AND payment_id IS NEW.payment_id AND kind = NEW.kind
    AND debit_account_id = NEW.debit_account_id AND credit_account_id = NEW.credit_account_id
    AND amount = NEW.amount AND memo IS NEW.memo;
  SELECT RAISE(ABORT, 'ledger_transfer_key_reused');
END;
