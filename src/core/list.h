/*
 * list.h - intrusive circular doubly linked list.
 *
 * The link lives inside the owning struct, so adding an object to a list
 * never allocates. LIST_ENTRY turns a link back into its owner.
 */
#ifndef RTCB_CORE_LIST_H
#define RTCB_CORE_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list {
	struct list *prev, *next;
};

#define LIST_ENTRY(link, type, member) \
	((type *)((char *)(link) - offsetof(type, member)))

#define LIST_FOREACH(head, it) \
	for (struct list *it = (head)->next; it != (head); it = it->next)

/* Safe against removal of `it` inside the loop body. */
#define LIST_FOREACH_SAFE(head, it, tmp)                              \
	for (struct list *it = (head)->next, *tmp = it->next; it != (head); \
	     it = tmp, tmp = it->next)

static inline void list_init(struct list *head)
{
	head->prev = head->next = head;
}

static inline bool list_empty(const struct list *head)
{
	return head->next == head;
}

/* A link that is in no list points to itself (after list_init/list_remove). */
static inline bool list_linked(const struct list *link)
{
	return link->next && link->next != link;
}

static inline void list_insert_after(struct list *pos, struct list *link)
{
	link->prev = pos;
	link->next = pos->next;
	pos->next->prev = link;
	pos->next = link;
}

static inline void list_append(struct list *head, struct list *link)
{
	list_insert_after(head->prev, link);
}

static inline void list_prepend(struct list *head, struct list *link)
{
	list_insert_after(head, link);
}

static inline void list_remove(struct list *link)
{
	if (!list_linked(link))
		return;
	link->prev->next = link->next;
	link->next->prev = link->prev;
	list_init(link);
}

static inline size_t list_count(const struct list *head)
{
	size_t n = 0;
	for (const struct list *it = head->next; it != head; it = it->next)
		n++;
	return n;
}

#endif
