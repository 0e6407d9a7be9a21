-- Every ledger account, the funding and provider accounts too, stays within ±(2^53 − 1) fen, and
-- so does every transfer amount: a balance past that no longer reads back into a JS number
-- exactly, and the ledger stopped summing to zero (issue 14, finding 3). SQLite adds in 64-bit
-- integers, so balance ± amount is exact before the CHECK sees it. A database already holding a
-- balance past the bound fails this copy: that ledger needs a person, not a migration.
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_ledger_accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`owner_id` text,
	`balance` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT "ledger_accounts_kind_known" CHECK(kind IN ('wallet_available', 'wallet_held', 'merchant_receivable', 'biller_payable', 'funding', 'provider', 'provider_authorized')),
	CONSTRAINT "ledger_accounts_no_overdraft" CHECK(balance >= 0 OR kind IN ('funding', 'provider')),
	CONSTRAINT "ledger_accounts_balance_bounded" CHECK(balance BETWEEN -9007199254740991 AND 9007199254740991)
);
--> statement-breakpoint
INSERT INTO `__new_ledger_accounts`("id", "kind", "owner_id", "balance", "created_at") SELECT "id", "kind", "owner_id", "balance", "created_at" FROM `ledger_accounts`;--> statement-breakpoint
DROP TABLE `ledger_accounts`;--> statement-breakpoint
ALTER TABLE `__new_ledger_accounts` RENAME TO `ledger_accounts`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `ledger_accounts_owner_idx` ON `ledger_accounts` (`owner_id`,`kind`);
--> statement-breakpoint
-- ledger_transfers keeps its table (a CHECK would mean a rebuild): the bound on amount is a trigger.
CREATE TRIGGER `ledger_transfers_amount_bounded` BEFORE INSERT ON `ledger_transfers`
WHEN NEW.amount > 9007199254740991
BEGIN
	SELECT RAISE(ABORT, 'ledger_transfers_amount_bounded: amount past 2^53 - 1');
END;
