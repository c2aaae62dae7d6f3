/* dbg_json: the "frames" array of a JSON Lines event (trace --frames). */
#include "dbg/dbg.h"
#include "util/json.h"

static void kstr_or_null(struct json *j, const char *k, const char *v)
{
	json_key(j, k);
	if (v)
		json_str(j, v);
	else
		json_null(j);
}

static void points_to(struct json *j, const struct dbg_label *l)
{
	json_key(j, "points_to");
	json_obj_begin(j);
	json_kstr(j, "kind", dbg_pt_kind_name(l->kind));
	if (l->kind == DBG_PT_HEAP || l->kind == DBG_PT_FREED) {
		json_key(j, "block");
		if (l->block)
			json_uint(j, l->block);
		else
			json_null(j);
	}
	if (l->kind != DBG_PT_NULL && l->kind != DBG_PT_UNMAPPED)
		json_kuint(j, "offset", l->offset);
	if (l->symbol[0])
		json_kstr(j, "symbol", l->symbol);
	json_obj_end(j);
}

static void local(struct json *j, const struct dbg_local *l)
{
	json_obj_begin(j);
	json_kstr(j, "name", l->name);
	json_kstr(j, "type", l->type);
	json_key(j, "addr");
	if (l->addr)
		json_uint(j, l->addr);
	else
		json_null(j);
	json_kuint(j, "size", l->size);
	json_kstr(j, "value", l->value);
	if (l->param)
		json_kbool(j, "param", true);
	if (l->is_ptr && l->label.kind != DBG_PT_NONE)
		points_to(j, &l->label);
	json_obj_end(j);
}

void dbg_json_frames(struct json *j, const struct dbg_stack *st)
{
	json_key(j, "frames");
	json_arr_begin(j);
	for (size_t i = 0; st && i < st->n; i++) {
		const struct dbg_frame *f = &st->frames[i];
		json_obj_begin(j);
		kstr_or_null(j, "func", f->func);
		kstr_or_null(j, "file", f->file);
		json_kint(j, "line", f->line);
		json_kuint(j, "pc", f->pc);
		json_key(j, "cfa");
		if (f->cfa)
			json_uint(j, f->cfa);
		else
			json_null(j);
		json_kuint(j, "size", f->size);
		if (f->object)
			json_kstr(j, "object", f->object);
		if (f->note)
			json_kstr(j, "note", f->note);
		json_key(j, "locals");
		json_arr_begin(j);
		for (size_t k = 0; k < f->nlocals; k++)
			local(j, &f->locals[k]);
		json_arr_end(j);
		json_obj_end(j);
	}
	json_arr_end(j);
}
