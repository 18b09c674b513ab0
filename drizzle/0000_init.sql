CREATE SCHEMA "weir";
--> statement-breakpoint
CREATE TABLE "weir"."api_keys" (
	"id" uuid PRIMARY KEY NOT NULL,
	"hash" text NOT NULL,
	"prefix" text NOT NULL,
	"namespaces" text[] NOT NULL,
	"role" text NOT NULL,
	"name" text,
	"created_at" timestamp with time zone DEFAULT weir.now() NOT NULL,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "api_keys_hash_unique" UNIQUE("hash")
);
--> statement-breakpoint
CREATE TABLE "weir"."counters" (
	"name" text PRIMARY KEY NOT NULL,
	"value" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "weir"."events" (
	"id" text NOT NULL,
	"source" text NOT NULL,
	"type" text NOT NULL,
	"subject" text,
	"time" timestamp with time zone,
	"data" jsonb,
	"event" jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT weir.now() NOT NULL,
	CONSTRAINT "events_source_id_pk" PRIMARY KEY("source","id")
);
--> statement-breakpoint
CREATE TABLE "weir"."history" (
	"instance_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"at" timestamp with time zone DEFAULT weir.now() NOT NULL,
	"kind" text NOT NULL,
	"task_ref" text,
	"data" jsonb,
	CONSTRAINT "history_instance_id_seq_pk" PRIMARY KEY("instance_id","seq")
);
--> statement-breakpoint
CREATE TABLE "weir"."hook_deliveries" (
	"hook" text NOT NULL,
	"delivery_id" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT weir.now() NOT NULL,
	CONSTRAINT "hook_deliveries_hook_delivery_id_pk" PRIMARY KEY("hook","delivery_id")
);
--> statement-breakpoint
CREATE TABLE "weir"."hooks" (
	"name" text PRIMARY KEY NOT NULL,
	"namespace" text NOT NULL,
	"target" jsonb NOT NULL,
	"secret" text NOT NULL,
	"previous_secret" text,
	"previous_expires_at" timestamp with time zone,
	"verifier" text DEFAULT 'standard' NOT NULL,
	"created_at" timestamp with time zone DEFAULT weir.now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "weir"."idempotency" (
	"key" text NOT NULL,
	"scope" text NOT NULL,
	"request_digest" text NOT NULL,
	"status" smallint,
	"response" jsonb,
	"locked_until" timestamp with time zone,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_scope_key_pk" PRIMARY KEY("scope","key")
);
--> statement-breakpoint
CREATE TABLE "weir"."instances" (
	"id" uuid PRIMARY KEY NOT NULL,
	"namespace" text NOT NULL,
	"workflow_name" text NOT NULL,
	"workflow_version" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"input" jsonb,
	"output" jsonb,
	"error" jsonb,
	"state" jsonb,
	"version" integer DEFAULT 0 NOT NULL,
	"parent_id" uuid,
	"parent_wait" text,
	"correlation" jsonb,
	"pending" jsonb,
	"callback" jsonb,
	"priority" smallint DEFAULT 0 NOT NULL,
	"idempotency_key" text,
	"queue" text DEFAULT 'weir_default' NOT NULL,
	"created_at" timestamp with time zone DEFAULT weir.now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT weir.now() NOT NULL,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "weir"."rate_limits" (
	"key" text PRIMARY KEY NOT NULL,
	"tokens" double precision NOT NULL,
	"updated_at" timestamp with time zone DEFAULT weir.now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "weir"."replicas" (
	"id" uuid PRIMARY KEY NOT NULL,
	"started_at" timestamp with time zone DEFAULT weir.now() NOT NULL,
	"heartbeat_at" timestamp with time zone DEFAULT weir.now() NOT NULL,
	"pool_limit" smallint NOT NULL,
	"roles" text DEFAULT 'serve' NOT NULL,
	"host" text
);
--> statement-breakpoint
CREATE TABLE "weir"."schedules" (
	"id" text PRIMARY KEY NOT NULL,
	"namespace" text NOT NULL,
	"workflow_name" text NOT NULL,
	"workflow_version" text NOT NULL,
	"kind" text NOT NULL,
	"spec" jsonb NOT NULL,
	"timezone" text DEFAULT 'UTC' NOT NULL,
	"next_run_at" timestamp with time zone,
	"last_run_at" timestamp with time zone,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT weir.now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "weir"."secrets" (
	"namespace" text NOT NULL,
	"name" text NOT NULL,
	"ciphertext" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT weir.now() NOT NULL,
	CONSTRAINT "secrets_namespace_name_pk" PRIMARY KEY("namespace","name")
);
--> statement-breakpoint
CREATE TABLE "weir"."subscriptions" (
	"id" text NOT NULL,
	"instance_id" uuid NOT NULL,
	"task_ref" text NOT NULL,
	"filters" jsonb NOT NULL,
	"correlation" jsonb,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT weir.now() NOT NULL,
	CONSTRAINT "subscriptions_instance_id_id_pk" PRIMARY KEY("instance_id","id")
);
--> statement-breakpoint
CREATE TABLE "weir"."timers" (
	"id" text NOT NULL,
	"instance_id" uuid NOT NULL,
	"queue" text DEFAULT 'weir_default' NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"message" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT weir.now() NOT NULL,
	CONSTRAINT "timers_instance_id_id_pk" PRIMARY KEY("instance_id","id")
);
--> statement-breakpoint
CREATE TABLE "weir"."workflows" (
	"namespace" text NOT NULL,
	"name" text NOT NULL,
	"version" text NOT NULL,
	"document" jsonb NOT NULL,
	"source" text,
	"digest" text NOT NULL,
	"queue" text DEFAULT 'weir_default' NOT NULL,
	"created_at" timestamp with time zone DEFAULT weir.now() NOT NULL,
	CONSTRAINT "workflows_namespace_name_version_pk" PRIMARY KEY("namespace","name","version")
);
--> statement-breakpoint
CREATE INDEX "events_type_received_idx" ON "weir"."events" USING btree ("type","received_at");--> statement-breakpoint
CREATE INDEX "events_received_idx" ON "weir"."events" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "hook_deliveries_received_idx" ON "weir"."hook_deliveries" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "idempotency_expires_idx" ON "weir"."idempotency" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "instances_ns_wf_created_idx" ON "weir"."instances" USING btree ("namespace","workflow_name","created_at");--> statement-breakpoint
CREATE INDEX "instances_status_created_idx" ON "weir"."instances" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "instances_parent_idx" ON "weir"."instances" USING btree ("parent_id") WHERE "weir"."instances"."parent_id" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "instances_idempotency_idx" ON "weir"."instances" USING btree ("namespace","workflow_name","idempotency_key") WHERE "weir"."instances"."idempotency_key" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "instances_ended_idx" ON "weir"."instances" USING btree ("ended_at") WHERE "weir"."instances"."ended_at" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "schedules_due_idx" ON "weir"."schedules" USING btree ("next_run_at") WHERE "weir"."schedules"."enabled";--> statement-breakpoint
CREATE INDEX "subscriptions_expires_idx" ON "weir"."subscriptions" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "timers_due_idx" ON "weir"."timers" USING btree ("due_at");