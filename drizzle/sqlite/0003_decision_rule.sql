ALTER TABLE `experiments` ADD `decision_rule` text;--> statement-breakpoint
ALTER TABLE `experiments` ADD `alpha_spending` text DEFAULT 'obf' NOT NULL;