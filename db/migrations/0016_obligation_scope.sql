ALTER TABLE "completions" ADD COLUMN "scope" text DEFAULT 'own' NOT NULL;--> statement-breakpoint
ALTER TABLE "obligations" ADD COLUMN "scope" text DEFAULT 'own' NOT NULL;