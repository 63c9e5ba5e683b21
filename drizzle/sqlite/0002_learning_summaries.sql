CREATE TABLE `learning_summaries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`week_ending` text NOT NULL,
	`text` text NOT NULL,
	`status` text NOT NULL,
	`created_by` integer NOT NULL,
	`updated_by` integer NOT NULL,
	`approved_by` integer,
	`approved_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`updated_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`approved_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `learning_summaries_week_ending_unique` ON `learning_summaries` (`week_ending`);--> statement-breakpoint
CREATE TABLE `learning_summary_approvals` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`summary_id` integer NOT NULL,
	`text` text NOT NULL,
	`approved_by` integer NOT NULL,
	`approved_at` text NOT NULL,
	FOREIGN KEY (`summary_id`) REFERENCES `learning_summaries`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`approved_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `learning_summary_approvals_summary_idx` ON `learning_summary_approvals` (`summary_id`,`id`);--> statement-breakpoint
CREATE INDEX `contacts_reference_compact_idx` ON `contacts` (replace(upper("reference"), '-', ''));--> statement-breakpoint
-- Hand-written (drizzle-kit does not manage triggers): an approved text is never changed.
CREATE TRIGGER `learning_summary_approvals_immutable` BEFORE UPDATE ON `learning_summary_approvals`
BEGIN
	SELECT RAISE(ABORT, 'an approved learning summary cannot be changed: approve a new version instead');
END;--> statement-breakpoint
-- Hand-written: reports frozen before this migration held coaches' raw notes; ministers now see only approved summaries.
UPDATE `report_snapshots` SET `content` = json_remove(`content`, '$.notes') WHERE json_type(`content`, '$.notes') IS NOT NULL;