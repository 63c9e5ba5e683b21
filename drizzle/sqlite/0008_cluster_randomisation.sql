ALTER TABLE `assignments` ADD `cluster` text;--> statement-breakpoint
ALTER TABLE `experiments` ADD `randomisation_unit` text DEFAULT 'person' NOT NULL;