ALTER TABLE "hazard_extensions" ADD COLUMN "new_deadline_estimated" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "deadline_estimated" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "due_estimated" boolean DEFAULT false NOT NULL;