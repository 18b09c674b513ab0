CREATE TABLE "weir"."slots" (
	"instance_id" uuid PRIMARY KEY NOT NULL,
	"scope" text NOT NULL,
	"acquired_at" timestamp with time zone DEFAULT weir.now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "weir"."instances" ADD COLUMN "slot_scope" text;--> statement-breakpoint
ALTER TABLE "weir"."instances" ADD COLUMN "debounce_key" text;--> statement-breakpoint
ALTER TABLE "weir"."workflows" ADD COLUMN "options" jsonb;--> statement-breakpoint
CREATE INDEX "slots_scope_idx" ON "weir"."slots" USING btree ("scope");--> statement-breakpoint
CREATE INDEX "instances_queued_idx" ON "weir"."instances" USING btree ("slot_scope","id") WHERE "weir"."instances"."status" = 'queued';--> statement-breakpoint
CREATE INDEX "instances_debounce_idx" ON "weir"."instances" USING btree ("namespace","workflow_name","debounce_key") WHERE "weir"."instances"."status" = 'delayed';