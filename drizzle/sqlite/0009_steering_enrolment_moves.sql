CREATE TABLE `arm_instruction_versions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`arm_id` integer NOT NULL,
	`version` integer NOT NULL,
	`instructions` text NOT NULL,
	`script` text DEFAULT '' NOT NULL,
	`reason` text,
	`created_by` integer,
	`created_at` text NOT NULL,
	FOREIGN KEY (`arm_id`) REFERENCES `experiment_arms`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `arm_instruction_versions_arm_version_uq` ON `arm_instruction_versions` (`arm_id`,`version`);--> statement-breakpoint
CREATE TABLE `caseload_moves` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`contact_id` integer NOT NULL,
	`from_coach_id` integer NOT NULL,
	`to_coach_id` integer NOT NULL,
	`move_group` text NOT NULL,
	`reason` text NOT NULL,
	`moved_by` integer,
	`moved_at` text NOT NULL,
	FOREIGN KEY (`contact_id`) REFERENCES `contacts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`from_coach_id`) REFERENCES `work_coaches`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`to_coach_id`) REFERENCES `work_coaches`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`moved_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `caseload_moves_contact_idx` ON `caseload_moves` (`contact_id`);--> statement-breakpoint
CREATE INDEX `caseload_moves_at_idx` ON `caseload_moves` (`moved_at`);--> statement-breakpoint
CREATE TABLE `enrolment_batches` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`experiment_id` integer NOT NULL,
	`selection` text NOT NULL,
	`description` text NOT NULL,
	`status` text NOT NULL,
	`total` integer DEFAULT 0 NOT NULL,
	`done` integer DEFAULT 0 NOT NULL,
	`assigned` integer DEFAULT 0 NOT NULL,
	`not_assigned` text DEFAULT '{}' NOT NULL,
	`message` text,
	`created_by` integer NOT NULL,
	`created_at` text NOT NULL,
	`started_at` text,
	`heartbeat_at` text,
	`finished_at` text,
	FOREIGN KEY (`experiment_id`) REFERENCES `experiments`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `enrolment_batches_experiment_idx` ON `enrolment_batches` (`experiment_id`,`id`);